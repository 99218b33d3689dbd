/**
 * Where a training step's time goes, in the three numbers a student compares between 1 and 2 replicas:
 * compute, all-reduce and idle, in ms per step. The Training panel's run table and timeline and the
 * demo-replicas bench (tests/bench/demoReplicas.bench.ts) all read them from here, so the page and the bench
 * cannot disagree on what the words mean.
 *
 * Per replica and step, from the phases its worker measured (workerTimeline events):
 * - compute: forward + backward, reading the gradients back, and the optimizer update (its own work);
 * - all-reduce: exchanging and summing the gradients once every replica has its gradients ready. The
 *   replica's own all-reduce clock also runs while it waits for a slower peer; that part is idle, not
 *   communication (see below), so this is what the exchange itself costs;
 * - idle: the rest of the step's wall time: waiting for the slowest replica to finish its compute, plus
 *   waiting for the step's messages (the batch from the coordinator, the answer back to it).
 * The three add up to the step's wall time as the trainer saw it. A step's value is the mean over its
 * replicas; the breakdown is the median over steps (the first step, which compiles and allocates, left out
 * when there are others), so one slow step on a shared machine does not move it.
 */
import type { ReplicaPhasesMs } from '../../../protocol/training.ts';

/** What a replica reported for one step: a workerTimeline event or a stored timeline segment. */
export interface PhaseSegment {
  replica: number;
  step: number;
  /** Ms since the run started, when this replica began the step. */
  startMs: number;
  phasesMs: ReplicaPhasesMs;
}

export interface StepPhases {
  computeMs: number;
  allReduceMs: number;
  idleMs: number;
  /** The part of idleMs spent waiting for the slowest replica's gradients. */
  slowestWaitMs: number;
}

export interface StepBreakdown {
  /** Steps the medians are taken over, and replicas per step. */
  steps: number;
  replicas: number;
  computeMs: number;
  /** Null with one replica: there is nothing to exchange or wait for. */
  allReduceMs: number | null;
  idleMs: number | null;
  slowestWaitMs: number | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One step's replicas (any order) → the mean over them of compute, all-reduce and idle. */
export function stepPhases(replicas: readonly PhaseSegment[]): StepPhases {
  // When each replica had its gradients ready; the exchange cannot finish before the last one is.
  const readyMs = replicas.map((s) => s.startMs + s.phasesMs.compute + s.phasesMs.readback);
  const lastReadyMs = Math.max(...readyMs);
  const sum: StepPhases = { computeMs: 0, allReduceMs: 0, idleMs: 0, slowestWaitMs: 0 };
  replicas.forEach((s, i) => {
    const p = s.phasesMs;
    // Clamped: clocks of two threads agree to well under a ms, but never let a wait exceed the clock it hides in.
    const slowestWaitMs = Math.min(Math.max(lastReadyMs - readyMs[i], 0), p.allReduceWait);
    sum.computeMs += p.compute + p.readback + p.apply;
    sum.allReduceMs += p.allReduceWait - slowestWaitMs;
    sum.idleMs += p.idle + slowestWaitMs;
    sum.slowestWaitMs += slowestWaitMs;
  });
  const n = Math.max(replicas.length, 1);
  return { computeMs: sum.computeMs / n, allReduceMs: sum.allReduceMs / n, idleMs: sum.idleMs / n, slowestWaitMs: sum.slowestWaitMs / n };
}

/** The median step of a run's timeline segments; null when there are none. */
export function stepBreakdown(segments: readonly PhaseSegment[]): StepBreakdown | null {
  const bySteps = new Map<number, PhaseSegment[]>();
  for (const s of segments) bySteps.set(s.step, [...(bySteps.get(s.step) ?? []), s]);
  const all = [...bySteps.keys()].sort((a, b) => a - b);
  if (all.length === 0) return null;
  const counted = all.length > 1 && all[0] === 0 ? all.slice(1) : all;
  const phases = counted.map((step) => stepPhases(bySteps.get(step)!));
  const replicas = Math.max(...counted.map((step) => bySteps.get(step)!.length));
  const of = (key: keyof StepPhases) => median(phases.map((p) => p[key]))!;
  return {
    steps: counted.length,
    replicas,
    computeMs: of('computeMs'),
    allReduceMs: replicas > 1 ? of('allReduceMs') : null,
    idleMs: replicas > 1 ? of('idleMs') : null,
    slowestWaitMs: replicas > 1 ? of('slowestWaitMs') : null,
  };
}

/**
 * One replica on the page's thread or in a worker reports no phases: its whole step is compute. The median
 * step duration, the first step left out when there are others.
 */
export function computeOnlyBreakdown(stepDurationsMs: readonly number[]): StepBreakdown | null {
  const counted = stepDurationsMs.length > 1 ? stepDurationsMs.slice(1) : stepDurationsMs;
  const computeMs = median(counted.filter(Number.isFinite));
  return computeMs === null ? null : { steps: counted.length, replicas: 1, computeMs, allReduceMs: null, idleMs: null, slowestWaitMs: null };
}
