/**
 * How often a live training chart redraws while a run goes. Redrawing a recharts chart costs its page tens of
 * milliseconds; at every step (a few a second on wasm) the loss, speed and timeline charts kept the page's
 * main thread busy about 350 ms per step of the demo's run in a worker (a CPU profile of the built page,
 * against about 110 ms without them): a core's worth of work taken from the training on a 2-core laptop.
 * Once a second, a student still watches the loss fall.
 */
export const LIVE_CHART_INTERVAL_MS = 1000;

/**
 * The value a live chart draws: while the run goes, a new value at most once per interval, and the latest
 * value once the interval is over (the caller looks again after `redrawInMs`); when the run is not going
 * (paused, ended, failed), the current value at once, so a chart never shows less than the run did once it
 * stopped.
 */
export class LiveThrottle<T> {
  private shown: { value: T; atMs: number };

  constructor(
    value: T,
    private readonly intervalMs = LIVE_CHART_INTERVAL_MS,
  ) {
    this.shown = { value, atMs: -Infinity };
  }

  /** What to draw at `nowMs`; `redrawInMs` is null when nothing newer is held back. */
  take(value: T, running: boolean, nowMs: number): { value: T; redrawInMs: number | null } {
    if (!running || nowMs - this.shown.atMs >= this.intervalMs) this.shown = { value, atMs: nowMs };
    const behind = this.shown.value !== value;
    return { value: this.shown.value, redrawInMs: behind ? Math.max(0, this.shown.atMs + this.intervalMs - nowMs) : null };
  }
}
