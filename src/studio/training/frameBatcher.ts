/**
 * Batches events per animation frame: a trainer can emit hundreds of events a second (one per step, one per
 * replica per step for the timeline); the store is updated once per frame with all of them, so React renders
 * at most once per frame and the page stays responsive.
 */

export type FrameScheduler = (flush: () => void) => () => void;

/** requestAnimationFrame in a page; a 16 ms timer elsewhere (Node tests, workers, hidden tabs keep flushing). */
export const defaultFrameScheduler: FrameScheduler = (flush) => {
  const raf = (globalThis as { requestAnimationFrame?: (cb: () => void) => number }).requestAnimationFrame;
  const caf = (globalThis as { cancelAnimationFrame?: (id: number) => void }).cancelAnimationFrame;
  // A background tab gets no animation frames: a timer as well makes sure events are never held for long.
  const timer = setTimeout(flush, raf ? 250 : 16);
  const id = raf ? raf(flush) : undefined;
  return () => {
    clearTimeout(timer);
    if (id !== undefined && caf) caf(id);
  };
};

export class FrameBatcher<E> {
  private queue: E[] = [];
  private cancel: (() => void) | null = null;

  constructor(
    private readonly onFlush: (events: E[]) => void,
    private readonly schedule: FrameScheduler = defaultFrameScheduler,
  ) {}

  push(event: E): void {
    this.queue.push(event);
    if (!this.cancel) this.cancel = this.schedule(() => this.flush());
  }

  /** Delivers everything queued now (also used when a run ends, so the last events are never lost). */
  flush(): void {
    if (this.cancel) {
      const cancel = this.cancel;
      this.cancel = null;
      cancel();
    }
    if (this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.onFlush(events);
  }

  get pending(): number {
    return this.queue.length;
  }

  dispose(): void {
    this.flush();
  }
}
