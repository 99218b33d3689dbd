/**
 * Tells a hung replica (alive, but silent) from a slow step: a step that brings no result within a bound
 * derived from the run's median step time (default 10 × the median, at least 30 s; before any step has
 * finished, and for a restarted replica's first step, which include compiling kernels, 10 minutes) makes
 * the replica that did not answer a fault, named and handled like a crashed one (pause, keep the last
 * checkpoint, go on with the rest or a restart).
 */
import type { ReplicaHandle } from './pool.ts';

export interface HangBound {
  /** The bound is this many median step times… */
  factor: number;
  /** …and at least this long (ms). */
  minMs: number;
  /** The bound before any step has finished (ms). */
  firstStepMs: number;
}

export const defaultHangBound: HangBound = { factor: 10, minMs: 30_000, firstStepMs: 600_000 };

export class StepWatchdog {
  private readonly stepMs: number[] = [];

  constructor(private readonly bound: HangBound = defaultHangBound) {}

  /** Records a finished step's wall time. */
  finished(durationMs: number): void {
    this.stepMs.push(durationMs);
  }

  get medianMs(): number | null {
    if (this.stepMs.length === 0) return null;
    const sorted = [...this.stepMs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  /**
   * The bound for the next step, and how it was derived (for the message). A replica that has computed no
   * step yet (the run's first step, or a replica restarted after a fault) compiles its kernels in this one:
   * it gets the first step's bound, not the median's.
   */
  limit(freshReplica = false): { ms: number; why: string } {
    const median = this.medianMs;
    if (median === null) return { ms: this.bound.firstStepMs, why: `the bound before any step has finished is ${seconds(this.bound.firstStepMs)}` };
    if (freshReplica) return { ms: this.bound.firstStepMs, why: `the bound for a replica's first step (kernels compile in it) is ${seconds(this.bound.firstStepMs)}` };
    const ms = Math.max(this.bound.minMs, this.bound.factor * median);
    return { ms, why: `the bound is ${this.bound.factor} × the median step time of ${Math.round(median)} ms, at least ${seconds(this.bound.minMs)}` };
  }

  /**
   * Arms the bound for `step`; when it passes, the replicas that have not computed their gradients (or, if
   * every one has, those that have not answered) fail as hung. Returns the disarm function.
   */
  arm(step: number, replicas: ReplicaHandle[], answered: Set<ReplicaHandle>): () => void {
    const { ms, why } = this.limit(replicas.some((r) => r.lastComputedStep < 0));
    const timer = setTimeout(() => {
      const silent = replicas.filter((r) => r.alive && !answered.has(r));
      const stuck = silent.filter((r) => r.lastComputedStep < step);
      for (const replica of stuck.length > 0 ? stuck : silent) {
        replica.fail('hung', new Error(`no result for step ${step} after ${seconds(ms)} (${why}); the worker is alive but silent`));
      }
    }, ms);
    return () => clearTimeout(timer);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
