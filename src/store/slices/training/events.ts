/**
 * The one reducer from the trainer's events to the training data: bindTrainer.ts feeds it a frame's worth of
 * events at a time, through the slice's applyTrainerEvents.
 */
import type { TrainerEvent } from '../../../protocol/training.ts';
import { maxWarnings, stepsUpTo, timelineKeepSteps, type EpochPoint, type RunBackend, type StepSeries, type TimelineSegment, type TrainingData } from './data.ts';
import { runStarted } from './hiddenPage.ts';
import { maxRunHistory, summarizeRun } from './runHistory.ts';

/** Pure reducer: the state after a batch of events (one new object per batch, untouched parts shared). */
export function reduceTrainerEvents(prev: TrainingData, events: readonly TrainerEvent[], nowMs = Date.now()): TrainingData {
  if (events.length === 0) return prev;
  const next: TrainingData = { ...prev };
  let steps: StepSeries | null = null;
  let timeline: TimelineSegment[] | null = null;
  for (const e of events) {
    switch (e.type) {
      case 'stateChanged': {
        const wasGoing = next.state === 'running' || next.state === 'paused';
        next.state = e.state;
        next.stateReason = e.reason ?? null;
        next.atRest = false;
        if (e.state === 'running' && next.startedAtMs === null) next.startedAtMs = nowMs;
        if (e.state === 'running' && !wasGoing) next.visibility = runStarted(next.visibility, (steps ?? next.steps).step.length, nowMs);
        if (e.state === 'running') next.deviceLost = null;
        if (wasGoing && (e.state === 'finished' || e.state === 'stopped')) {
          const { replicas, batchSize } = next.config;
          const summary = summarizeRun(steps ?? next.steps, next.backend, { replicas, placement: next.placement, batchSize, ended: e.state }, timeline ?? next.timeline);
          next.history = [...next.history, summary].slice(-maxRunHistory);
        }
        break;
      }
      case 'stepCompleted': {
        // Copy once per batch, then push: appending N events costs one copy, not N.
        steps ??= copySteps(next.steps);
        steps.step.push(steps.step.length);
        steps.epoch.push(e.epoch);
        steps.loss.push(e.skipped ? Number.NaN : e.loss);
        steps.tokensPerSecond.push(e.tokensPerSecond);
        steps.lossScale.push(e.lossScale ?? Number.NaN);
        steps.skipped.push(e.skipped ? 1 : 0);
        steps.durationMs.push(e.durationMs);
        if (e.skipped) next.skippedSteps += 1;
        next.stepTimeMs += e.durationMs;
        break;
      }
      case 'epochCompleted': {
        const point: EpochPoint = {
          epoch: e.epoch,
          trainLoss: e.trainLoss,
          valLoss: e.valLoss,
          bleu: e.bleu,
          durationMs: e.durationMs,
          ...(e.samples?.length ? { samples: e.samples } : {}),
        };
        next.epochs = [...next.epochs.filter((p) => p.epoch !== e.epoch), point].sort((a, b) => a.epoch - b.epoch);
        break;
      }
      case 'resumedFrom': {
        const series = steps ?? next.steps;
        const drawn = series.step.length;
        if (drawn !== e.step) {
          steps = alignSteps(series, e.step, next.stepsPerEpoch);
          const message =
            drawn < e.step
              ? `The charts end at step ${drawn} and the checkpoint at step ${e.step}: steps ${drawn + 1} to ${e.step} were trained but their losses were not kept (the page was left while they were being saved). The run continues from step ${e.step}.`
              : e.step === 0
                ? `No checkpoint was found (the browser's storage may have been cleared): the run starts again from step 0.`
                : `The checkpoint is at step ${e.step}, the charts went to step ${drawn}: the run continues from step ${e.step}, and the charts go back to it.`;
          next.warnings = [...next.warnings, { message }].slice(-maxWarnings);
        }
        next.epochs = next.epochs.filter((p) => p.epoch <= e.epoch);
        next.lastCheckpoint = e.step > 0 ? { epoch: e.epoch, step: e.step, location: next.lastCheckpoint?.location ?? '' } : null;
        break;
      }
      case 'runAtRest':
        next.atRest = next.state === 'paused';
        break;
      case 'checkpointSaved':
        next.lastCheckpoint = { epoch: e.epoch, step: e.step, location: e.location };
        break;
      case 'workerTimeline': {
        if (!timeline) timeline = next.timeline.slice();
        const { type: _type, ...segment } = e;
        timeline.push(segment);
        break;
      }
      case 'replicaChecksums':
        next.checksums = { step: e.step, identical: e.identical };
        break;
      case 'backendChosen': {
        // The page reports adapter and fallback reason; a trainer may then repeat the backend without them.
        const same = next.backend?.backend === e.backend ? next.backend : null;
        // Only a trainer names its kernels; a bare event (the page's, a group announced again) keeps them.
        next.backend = {
          backend: e.backend,
          adapter: e.adapter ?? same?.adapter,
          fallbackReason: e.fallbackReason ?? same?.fallbackReason,
          ...kernelsOf(e.kernels ? e : same),
        };
        break;
      }
      case 'runFailed':
        next.error = { ...e.error, replica: e.replica };
        break;
      case 'mirroredSetup': {
        const { type: _type, ...setup } = e;
        next.mirrored = setup;
        break;
      }
      case 'replicaFault':
        next.faults = [...next.faults, { replica: e.replica, step: e.step, cause: e.cause, message: e.message }].slice(-maxWarnings);
        if (e.cause === 'deviceLost') next.deviceLost = { message: e.message, step: e.step, replica: e.replica };
        break;
      case 'warning':
        next.warnings = [...next.warnings, { message: e.message, replica: e.replica }].slice(-maxWarnings);
        break;
    }
  }
  if (steps) next.steps = steps;
  if (timeline) next.timeline = trimTimeline(timeline, timelineKeepSteps);
  return next;
}

/** A series whose columns can be appended to without touching `s` (charts memoise on identity). */
function copySteps(s: StepSeries): StepSeries {
  return {
    step: s.step.slice(),
    epoch: s.epoch.slice(),
    loss: s.loss.slice(),
    tokensPerSecond: s.tokensPerSecond.slice(),
    lossScale: s.lossScale.slice(),
    skipped: s.skipped.slice(),
    durationMs: s.durationMs.slice(),
  };
}

/**
 * The step series cut or padded to `count` steps: padded steps (trained, their losses not kept) have no
 * loss, rate or duration (NaN: the charts leave a gap), in the epochs their position gives.
 */
function alignSteps(s: StepSeries, count: number, stepsPerEpoch: number | null): StepSeries {
  if (s.step.length >= count) return stepsUpTo(s, count);
  const padded = copySteps(s);
  for (let i = s.step.length; i < count; i++) {
    padded.step.push(i);
    padded.epoch.push(stepsPerEpoch ? Math.floor(i / stepsPerEpoch) + 1 : (padded.epoch.at(-1) ?? 1));
    padded.loss.push(Number.NaN);
    padded.tokensPerSecond.push(Number.NaN);
    padded.lossScale.push(Number.NaN);
    padded.skipped.push(0);
    padded.durationMs.push(Number.NaN);
  }
  return padded;
}

function kernelsOf(from: Pick<RunBackend, 'precision' | 'kernels' | 'kernelFallbackReason'> | null): Partial<RunBackend> {
  if (!from) return {};
  return {
    ...(from.precision ? { precision: from.precision } : {}),
    ...(from.kernels ? { kernels: from.kernels } : {}),
    ...(from.kernelFallbackReason ? { kernelFallbackReason: from.kernelFallbackReason } : {}),
  };
}

/** Keeps the segments of the last `keepSteps` distinct steps. */
export function trimTimeline(segments: TimelineSegment[], keepSteps: number): TimelineSegment[] {
  if (segments.length === 0) return segments;
  let maxStep = -Infinity;
  for (const s of segments) if (s.step > maxStep) maxStep = s.step;
  const minStep = maxStep - keepSteps + 1;
  return segments.some((s) => s.step < minStep) ? segments.filter((s) => s.step >= minStep) : segments;
}
