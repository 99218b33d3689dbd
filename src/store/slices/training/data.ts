/**
 * What the Training panel draws, as plain data (no tensors, no workers): the run's settings, its state, its
 * per-step and per-epoch series, the replicas' timeline, and how a fresh run starts out.
 */
import { defaultTrainConfig, type BackendName, type ReplicaPhasesMs, type SerializedError, type TrainConfig, type TrainerEvent, type TrainerState } from '../../../protocol/training.ts';
import { initialPageVisibility, type PageVisibility } from './hiddenPage.ts';
import type { RunSummary } from './runHistory.ts';

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

/** One epoch as the trainer's epochCompleted event says it (losses, BLEU, time, the sample captions). */
export type EpochPoint = Omit<Extract<TrainerEvent, { type: 'epochCompleted' }>, 'type'>;

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
  /**
   * Paused, the run waits before its next step (runAtRest): what was in flight at the pause (the step, its
   * epoch's validation and checkpoint) is done. False from the click on Pause until then, and while not paused.
   */
  atRest: boolean;
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
  /** When the page was hidden while the run went, and the steps then (hiddenPage.ts). */
  visibility: PageVisibility;
  /**
   * A GPU device the run trained on was lost (the page's own, or a replica's): the run waits at its last
   * checkpoint for the user's choice, a new device or wasm. Cleared once it goes on. `continuingOn`: the user
   * chose where the run goes on, and it is being set up (the choices are closed).
   */
  deviceLost: { message: string; step: number; replica?: number; continuingOn?: 'gpu' | 'wasm' } | null;
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
    atRest: false,
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
