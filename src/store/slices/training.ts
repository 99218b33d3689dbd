/**
 * Training slice: the run's settings, its state and everything its charts draw, as plain data (no tensors,
 * no workers). `applyTrainerEvents` is the one reducer from engine events to this state; bindTrainer.ts
 * feeds it a frame's worth of events at a time.
 */
import {
  defaultTrainConfig,
  type BackendName,
  type Bleu,
  type ReplicaPhasesMs,
  type SerializedError,
  type TrainConfig,
  type TrainerEvent,
  type TrainerState,
} from '../../protocol/training.ts';
import { initialPageVisibility, runStarted, visibilityChanged, type PageVisibility } from './hiddenPage.ts';
import { maxRunHistory, summarizeRun, type RunSummary } from './runHistory.ts';
import type { SliceSet } from './sliceTypes.ts';

/** Per-step series, columnar so long runs stay cheap to append and to downsample. */
export interface StepSeries {
  /** Global step index across epochs (0-based, in arrival order). */
  step: number[];
  epoch: number[];
  loss: number[];
  tokensPerSecond: number[];
  /** NaN where the run is not under mixed_float16. */
  lossScale: number[];
  /** 1 where the f16 step was skipped (non-finite gradient), else 0. */
  skipped: number[];
  /** Wall time of the step as the trainer saw it. */
  durationMs: number[];
}

export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  valLoss: number | null;
  bleu: Bleu | null;
  durationMs: number;
  /** Captions of the run's fixed sample images by this epoch's weights (the Training panel shows them). */
  samples?: { name: string; caption: string }[];
}

export interface TimelineSegment {
  replica: number;
  step: number;
  startMs: number;
  phasesMs: ReplicaPhasesMs;
  bytesSent?: number;
  bytesSavedBySparse?: number;
}

export interface TrainingData {
  config: TrainConfig;
  /** Settings the user set in the Training panel: the data's defaults (applyDataDefaults) leave them alone. */
  configGiven: (keyof TrainConfig)[];
  /** Why the other settings are what they are ("defaults for 210 training images and 39-d features"); null: the notebook's. */
  configBasis: string | null;
  /** One replica only: train in a worker (the page stays responsive) or on the page's thread. */
  placement: 'worker' | 'page';
  state: TrainerState;
  stateReason: string | null;
  steps: StepSeries;
  epochs: EpochPoint[];
  skippedSteps: number;
  /** The last `timelineKeepSteps` steps of every replica (the Gantt chart shows a recent window). */
  timeline: TimelineSegment[];
  /** What the run got: its backend, and (from the trainer) its precision and kernel set after any fall-back. */
  backend: RunBackend | null;
  /** What this page's backend offers (known once the page chose it): decides which knobs are available. */
  pageBackend: PageBackend | null;
  mirrored: { replicas: number; replicaIds: number[]; allReduce: string; backend: BackendName; fallbackReason?: string } | null;
  checksums: { step: number; identical: boolean } | null;
  lastCheckpoint: { epoch: number; step: number; location: string } | null;
  warnings: { message: string; replica?: number }[];
  faults: { replica: number; step: number; cause: string; message: string }[];
  error: (SerializedError & { replica?: number }) | null;
  /** Earlier runs of this page session, oldest first (kept by resetTrainingRun). */
  history: RunSummary[];
  /** Epochs of this run known in advance (for ETA / progress bars); null before a start. */
  startedAtMs: number | null;
  /** The dataset this run trained on (its name in the Dataset panel): its charts belong to it. */
  dataset: string | null;
  /** Steps in one epoch (training images ÷ batch, rounded up), known at the start: progress and ETA. */
  stepsPerEpoch: number | null;
  /** Sum of the steps' own durations in this run (no pauses, no validation): the ETA before an epoch ends. */
  stepTimeMs: number;
  /** Which run the charts and the checkpoint are of (its start time, base 36): a continued run keeps it. */
  runId: string | null;
  /**
   * The step of the run's latest checkpoint that is written down for a reload (runStore's 'current' slot):
   * a reload now offers to continue from it. Lags `lastCheckpoint` while that one is being written.
   */
  keptForReloadStep: number | null;
  /** When the page was hidden while the run went, and the steps then (slices/hiddenPage.ts). */
  visibility: PageVisibility;
  /**
   * A GPU device the run trained on was lost (the page's own, or a replica's): the run waits at its last
   * checkpoint for the user's choice, a new device or wasm. Cleared once it goes on.
   */
  deviceLost: { message: string; step: number; replica?: number } | null;
}

/** What the trainer's backendChosen event says: backend, adapter, precision and kernels, fall-back reasons. */
export type RunBackend = Omit<Extract<TrainerEvent, { type: 'backendChosen' }>, 'type'>;

export interface PageBackend {
  backend: BackendName;
  /** One line naming the WebGPU adapter. */
  adapter?: string;
  /** The WebGPU device has shader-f16 (false off webgpu). */
  shaderF16: boolean;
  /** Why earlier backends were passed over. */
  fallbackReason?: string;
  /** Why the search ran as it did: the order tried, or the address asking to start elsewhere. */
  chosenBecause?: string;
  /** WebGPU only: the device's enabled features and the limits the engine reports. */
  features?: string[];
  limits?: Record<string, number>;
  /** WebGPU only: a CPU emulation (SwiftShader, lavapipe): its speeds are not GPU speeds. */
  isSoftware?: boolean;
}

export interface TrainingSlice {
  training: TrainingData;
  /** The user's settings (marked as given). */
  setTrainConfig(patch: Partial<TrainConfig>): void;
  /** Defaults for the data (defaultTrainConfigFor), for the settings the user has not given; `basis` says for what. */
  applyDataDefaults(defaults: Partial<TrainConfig>, basis: string): void;
  setTrainingPlacement(placement: TrainingData['placement']): void;
  /** Clears the charts and errors for a fresh run (settings kept). */
  resetTrainingRun(): void;
  applyTrainerEvents(events: readonly TrainerEvent[]): void;
  /** What the run (new or continued) trains on: the dataset's name and the steps in one epoch. */
  setRunContext(context: Pick<TrainingData, 'dataset' | 'stepsPerEpoch'> & Partial<Pick<TrainingData, 'runId'>>): void;
  /**
   * Restores a saved run (after a reload) as it was drawn: `state` how it reads now ('finished' for a finished
   * run), `stateReason` why (restored, or interrupted by the reload).
   */
  restoreTrainingRun(
    data: Pick<TrainingData, 'config' | 'steps' | 'epochs' | 'lastCheckpoint'> &
      Partial<Pick<TrainingData, 'dataset' | 'placement' | 'runId' | 'startedAtMs' | 'stepsPerEpoch' | 'state' | 'stateReason'>>,
  ): void;
  setTrainingError(error: SerializedError | null): void;
  /** The checkpoint at `step` of run `runId` is written down for a reload (ignored once another run started). */
  markKeptForReload(runId: string | null, step: number): void;
  /** The page was hidden or shown (document.visibilityState). */
  notePageVisibility(hidden: boolean, nowMs?: number): void;
  /**
   * Before continuing from the last checkpoint: the charts are cut back to it (the trainer takes the steps
   * after it again), so no step is drawn twice.
   */
  cutToCheckpoint(): void;
  /** The page's own GPU device was lost during the run, which has ended (it continues from its checkpoint). */
  setDeviceLost(lost: TrainingData['deviceLost']): void;
  /** The run comparison of the page before a reload. */
  restoreRunHistory(history: RunSummary[]): void;
  setPageBackend(pageBackend: PageBackend): void;
  /** A run trained elsewhere (an imported PyTorch DDP log) joins the comparison table. */
  addRunSummary(summary: RunSummary): void;
}

export const timelineKeepSteps = 40;
export const maxWarnings = 50;

/** The first `count` steps of a series (the charts up to a checkpoint). */
export function stepsUpTo(s: StepSeries, count: number): StepSeries {
  const cut = <T>(column: T[]) => column.slice(0, count);
  return { step: cut(s.step), epoch: cut(s.epoch), loss: cut(s.loss), tokensPerSecond: cut(s.tokensPerSecond), lossScale: cut(s.lossScale), skipped: cut(s.skipped), durationMs: cut(s.durationMs) };
}

export function emptySteps(): StepSeries {
  return { step: [], epoch: [], loss: [], tokensPerSecond: [], lossScale: [], skipped: [], durationMs: [] };
}

export function initialTrainingData(config: TrainConfig = defaultTrainConfig, placement: TrainingData['placement'] = 'worker'): TrainingData {
  return {
    config,
    configGiven: [],
    configBasis: null,
    placement,
    state: 'idle',
    stateReason: null,
    steps: emptySteps(),
    epochs: [],
    skippedSteps: 0,
    timeline: [],
    backend: null,
    pageBackend: null,
    mirrored: null,
    checksums: null,
    lastCheckpoint: null,
    warnings: [],
    faults: [],
    error: null,
    history: [],
    startedAtMs: null,
    dataset: null,
    stepsPerEpoch: null,
    stepTimeMs: 0,
    runId: null,
    keptForReloadStep: null,
    visibility: initialPageVisibility(),
    deviceLost: null,
  };
}

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
        if (!steps) {
          const s = next.steps;
          // Copy once per batch, then push: appending N events costs one copy, not N.
          steps = {
            step: s.step.slice(),
            epoch: s.epoch.slice(),
            loss: s.loss.slice(),
            tokensPerSecond: s.tokensPerSecond.slice(),
            lossScale: s.lossScale.slice(),
            skipped: s.skipped.slice(),
            durationMs: s.durationMs.slice(),
          };
        }
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

/**
 * Null when the run's charts are of the dataset loaded now (or there is no run); otherwise a sentence saying
 * which dataset they belong to, so they are never read as the loaded dataset's.
 */
export function chartsBelongElsewhere(runDataset: string | null, loadedDataset: string | null): string | null {
  if (runDataset === null || runDataset === loadedDataset) return null;
  return `These charts are of a run on ${runDataset}, not on ${loadedDataset ?? 'a loaded dataset (none is loaded now)'}.`;
}

export function createTrainingSlice<T extends TrainingSlice>(set: SliceSet<T>): TrainingSlice {
  const update = (f: (t: TrainingData) => TrainingData) => set((s) => ({ training: f(s.training) }) as Partial<T>);
  return {
    training: initialTrainingData(),
    setTrainConfig: (patch) =>
      update((t) => ({
        ...t,
        config: { ...t.config, ...patch },
        configGiven: [...new Set([...t.configGiven, ...(Object.keys(patch) as (keyof TrainConfig)[])])],
      })),
    applyDataDefaults: (defaults, basis) =>
      update((t) => {
        const patch = Object.fromEntries(Object.entries(defaults).filter(([key]) => !t.configGiven.includes(key as keyof TrainConfig)));
        const changed = Object.entries(patch).some(([key, value]) => t.config[key as keyof TrainConfig] !== value);
        return changed || t.configBasis !== basis ? { ...t, config: { ...t.config, ...patch }, configBasis: basis } : t;
      }),
    setTrainingPlacement: (placement) => update((t) => ({ ...t, placement })),
    resetTrainingRun: () =>
      update((t) => ({
        ...initialTrainingData(t.config, t.placement),
        configGiven: t.configGiven,
        configBasis: t.configBasis,
        pageBackend: t.pageBackend,
        history: t.history,
        visibility: initialPageVisibility(t.visibility.hiddenNow),
      })),
    applyTrainerEvents: (events) => update((t) => reduceTrainerEvents(t, events)),
    setRunContext: (context) => update((t) => ({ ...t, ...context })),
    restoreTrainingRun: (data) =>
      update((t) => ({
        ...initialTrainingData(data.config, data.placement ?? t.placement),
        ...data,
        state: data.state ?? 'stopped',
        stateReason: data.stateReason ?? 'restored after a reload',
        backend: t.backend,
        pageBackend: t.pageBackend,
        history: t.history,
        // A restored run's settings are its own (a continued run must keep its batch): no data default replaces them.
        configGiven: Object.keys(data.config) as (keyof TrainConfig)[],
        configBasis: null,
        visibility: initialPageVisibility(t.visibility.hiddenNow),
      })),
    setTrainingError: (error) => update((t) => ({ ...t, error })),
    notePageVisibility: (hidden, nowMs = Date.now()) =>
      update((t) => {
        const going = t.state === 'running' || t.state === 'paused';
        const visibility = visibilityChanged(t.visibility, hidden, t.steps.step.length, going, nowMs);
        return visibility === t.visibility ? t : { ...t, visibility };
      }),
    cutToCheckpoint: () =>
      update((t) => {
        const checkpoint = t.lastCheckpoint;
        if (!checkpoint) return { ...t, keptForReloadStep: null };
        return { ...t, steps: stepsUpTo(t.steps, checkpoint.step), epochs: t.epochs.filter((e) => e.epoch <= checkpoint.epoch), keptForReloadStep: null };
      }),
    setDeviceLost: (deviceLost) => update((t) => ({ ...t, deviceLost })),
    markKeptForReload: (runId, step) =>
      update((t) => (t.runId === runId && (t.state === 'running' || t.state === 'paused') ? { ...t, keptForReloadStep: Math.max(step, t.keptForReloadStep ?? step) } : t)),
    restoreRunHistory: (history) => update((t) => ({ ...t, history: history.slice(-maxRunHistory) })),
    setPageBackend: (pageBackend) => update((t) => ({ ...t, pageBackend })),
    addRunSummary: (summary) => update((t) => ({ ...t, history: [...t.history, summary].slice(-maxRunHistory) })),
  };
}
