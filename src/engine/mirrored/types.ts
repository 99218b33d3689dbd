/** What a MirroredTrainer is given: data, checkpoints, workers. Plain interfaces so tests use toys. */
import type { FaultInjection, ModelSpec, ReplicaPrecisionOptions } from '../../protocol/replica.ts';
import type { WorkerEndpoint } from '../threads/endpoint.ts';
import type { CheckpointFiles, CheckpointStore } from '../training/checkpoint.ts';
import type { BackendName, Bleu, TrainConfig } from '../training/trainer.ts';
import type { HangBound } from './watchdog.ts';

/** Global batches, deterministic in (epoch, step), and how to cut them. Batches must be structured-cloneable. */
export interface MirroredDataSource<Batch> {
  stepsPerEpoch: number;
  batch(epoch: number, stepInEpoch: number): Batch | Promise<Batch>;
  /** Real (non-padding) tokens of each example, in order. */
  exampleTokens(batch: Batch): number[];
  /** Examples [start, end) as a batch of the same kind. */
  slice(batch: Batch, start: number, end: number): Batch;
}

export interface MirroredCheckpoint {
  epoch: number;
  /** Global steps completed when it was taken. */
  step: number;
  model: ModelSpec;
  /** ReplicaModel.getState(): weights, optimizer moments, step counter. */
  state: Float32Array[];
}

/**
 * How a mirrored checkpoint becomes the files of a CheckpointStore (the one store both trainers write) and
 * back: replicaStateFormat for any replica model (checkpoints.ts), captionCheckpointFormat for the caption
 * model (caption.ts: the in-process trainer's training folder, so either trainer resumes the other's run).
 */
export interface MirroredCheckpointFormat {
  encode(checkpoint: MirroredCheckpoint): CheckpointFiles;
  decode(files: Record<string, Uint8Array>): Promise<MirroredCheckpoint>;
}

/** Loss and BLEU of a replica state, on the trainer's thread (the caption model's: mirroredCaptionRun). */
export interface MirroredEvaluator {
  /** After every epoch, the group's state (read from the first replica that answers): what epochCompleted reports (null where there is nothing to measure). */
  epoch(state: Float32Array[]): Promise<{ loss: number | null; bleu: Bleu | null; samples?: { name: string; caption: string }[] }>;
  /**
   * Trainer.evaluate: loss and BLEU over a split's first `limit` images of a state (null: there is none, e.g.
   * an aborted run that saved no checkpoint: the weights the evaluator holds, the replicas' seeded start).
   */
  split(split: 'val' | 'test', state: Float32Array[] | null, options?: { limit?: number }): Promise<{ loss: number; bleu: Bleu }>;
  /** Called by the trainer's dispose(). */
  dispose?(): void;
}

export interface MirroredTrainerOptions<Batch> {
  config: TrainConfig;
  model: ModelSpec;
  data: MirroredDataSource<Batch>;
  backend: BackendName;
  /** Starts one replica worker (module Web Worker in the page, worker thread in Node). */
  spawn(): WorkerEndpoint;
  checkpoints?: CheckpointStore;
  /** How checkpoints are written into `checkpoints` (default: replicaStateFormat, any replica model). */
  checkpointFormat?: MirroredCheckpointFormat;
  /** Save a checkpoint every this many global steps (default: at the end of every epoch only). */
  checkpointEverySteps?: number;
  /** Stop after this many global steps (benchmarks and tests); default epochs × stepsPerEpoch. */
  maxSteps?: number;
  /** Whether SharedArrayBuffer may be used (default: present and, in a page, crossOriginIsolated). */
  sharedMemory?: boolean;
  /** Validation loss and BLEU of the group's state (omitted: epochCompleted carries nulls, evaluate() refuses). */
  evaluator?: MirroredEvaluator;
  /** Test only: make replica `replica` (by id) misbehave. */
  faults?: { replica: number; fault: FaultInjection }[];
  /** When a silent replica counts as hung (default: 10 × the median step time, at least 30 s; see watchdog.ts). */
  hangBound?: HangBound;
}

export type RecoveryMode = 'remaining' | 'restart';

export function sharedMemoryAvailable(): { ok: boolean; reason?: string } {
  if (typeof SharedArrayBuffer === 'undefined') return { ok: false, reason: 'SharedArrayBuffer is not available' };
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (isolated === false) return { ok: false, reason: 'the page is not cross-origin isolated (COOP/COEP headers missing)' };
  return { ok: true };
}

/**
 * The spec a replica builds its model from: the caller's options plus the run's precision settings from its
 * TrainConfig (the config is the one place a run's knobs live, so every caller's replicas honour them).
 */
export function replicaModelSpec(model: ModelSpec, config: TrainConfig): ModelSpec {
  if (typeof model.options !== 'object' || model.options === null || Array.isArray(model.options)) return model;
  const precision: ReplicaPrecisionOptions = {
    precision: config.precision,
    fusedKernels: config.fusedKernels,
    ...(config.initialLossScale !== undefined || config.lossScaleGrowthSteps !== undefined
      ? { lossScale: { initialScale: config.initialLossScale, growthSteps: config.lossScaleGrowthSteps } }
      : {}),
  };
  return { kind: model.kind, options: { ...model.options, ...precision } };
}
