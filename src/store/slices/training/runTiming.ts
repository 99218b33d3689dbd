/**
 * How long an epoch takes and how long the run has left, from what the run reported: finished epochs'
 * wall times (validation included) once there is one, before that the steps' own durations times the steps
 * in an epoch (marked as an estimate). Pauses do not count: step and epoch durations exclude them.
 */
import type { TrainingData } from './data.ts';

export interface RunTiming {
  /** Steps of the whole run (epochs × steps per epoch); null where steps per epoch are unknown. */
  totalSteps: number | null;
  stepsDone: number;
  /** Mean wall time of an epoch; from the steps alone (estimated) before the first epoch ends. */
  msPerEpoch: number | null;
  /** The last finished epoch's wall time. */
  lastEpochMs: number | null;
  estimated: boolean;
  /** Time left to the last epoch's end; null when it cannot be told yet. */
  etaMs: number | null;
}

type TimingInputs = Pick<TrainingData, 'config' | 'steps' | 'epochs' | 'stepsPerEpoch' | 'stepTimeMs'>;

export function runTiming(t: TimingInputs): RunTiming {
  const stepsDone = t.steps.step.length;
  const perEpoch = t.stepsPerEpoch && t.stepsPerEpoch > 0 ? t.stepsPerEpoch : null;
  const totalSteps = perEpoch === null ? null : perEpoch * t.config.epochs;
  const epochsDone = t.epochs.length;
  if (epochsDone > 0) {
    const msPerEpoch = t.epochs.reduce((sum, e) => sum + e.durationMs, 0) / epochsDone;
    const intoEpoch = perEpoch === null ? 0 : Math.min(1, Math.max(0, (stepsDone - epochsDone * perEpoch) / perEpoch));
    const epochsLeft = Math.max(0, t.config.epochs - epochsDone - intoEpoch);
    return { totalSteps, stepsDone, msPerEpoch, lastEpochMs: t.epochs[epochsDone - 1].durationMs, estimated: false, etaMs: epochsLeft * msPerEpoch };
  }
  if (stepsDone > 0 && perEpoch !== null && totalSteps !== null) {
    const msPerStep = t.stepTimeMs / stepsDone;
    return { totalSteps, stepsDone, msPerEpoch: msPerStep * perEpoch, lastEpochMs: null, estimated: true, etaMs: Math.max(0, totalSteps - stepsDone) * msPerStep };
  }
  return { totalSteps, stepsDone, msPerEpoch: null, lastEpochMs: null, estimated: false, etaMs: null };
}
