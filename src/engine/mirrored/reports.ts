/**
 * One mirrored step's replica reports turned into the trainer's events: a workerTimeline per replica, the
 * stepCompleted of the global batch (with the loss-scale outcome under mixed precision), and a warning when
 * the replicas' outcomes disagree.
 */
import type { StepReport } from '../../protocol/replica.ts';
import { outcomeDisagreement } from './checks.ts';
import type { TrainerEvent } from '../training/trainer.ts';

export interface StepFacts {
  step: number;
  stepsPerEpoch: number;
  /** Reports in rank order; `ids` are the replicas' stable ids in the same order. */
  reports: StepReport[];
  ids: number[];
  globalTokenCount: number;
  /** Wall time of the whole step as the trainer saw it. */
  stepMs: number;
  /** Absolute start of the run (ms since the epoch): timelines are relative to it. */
  runStartMs: number;
}

export function stepEvents(facts: StepFacts): { events: TrainerEvent[]; lossSum: number } {
  const { step, reports, ids, globalTokenCount, stepMs } = facts;
  const events: TrainerEvent[] = reports.map((report, rank) => {
    const busyMs = report.phasesMs.compute + report.phasesMs.readback + report.phasesMs.allReduceWait + report.phasesMs.apply;
    return {
      type: 'workerTimeline',
      replica: ids[rank],
      step,
      startMs: report.startMs - facts.runStartMs,
      phasesMs: { ...report.phasesMs, idle: Math.max(0, stepMs - busyMs) },
      bytesSent: report.bytesSent,
      bytesSavedBySparse: report.bytesSavedBySparse,
    };
  });
  const lossSum = reports.reduce((s, r) => s + r.lossSum, 0);
  // Rank 0's outcome stands for the group; a replica that decided otherwise is named in a warning.
  const outcome = reports[0]?.outcome;
  events.push({
    type: 'stepCompleted',
    // As the in-process trainer: epochs from 1, and `step` counts the steps done (this one included).
    epoch: Math.floor(step / facts.stepsPerEpoch) + 1,
    step: step + 1,
    // No real token: no loss (NaN), as the in-process trainer reports it.
    loss: globalTokenCount ? lossSum / globalTokenCount : NaN,
    tokens: globalTokenCount,
    durationMs: stepMs,
    tokensPerSecond: (globalTokenCount * 1000) / Math.max(stepMs, 1e-3),
    ...(outcome ? { lossScale: outcome.lossScale, skipped: outcome.skipped } : {}),
  });
  const odd = outcomeDisagreement(step, reports.map((r) => r.outcome), ids);
  if (odd) events.push({ type: 'warning', ...odd });
  return { events, lossSum };
}
