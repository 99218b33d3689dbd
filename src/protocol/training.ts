/**
 * What a training run is told and what it tells: its settings (TrainConfig) and its events, as plain data
 * (structured-clone safe). Events cross threads (replica → page), go into the store as they are and are
 * printed by the CLI, so they live here, below the engine that emits them and the store that keeps them.
 */
import type { Protocol } from '../core/data/types.ts';

import type { BackendName } from '../gpu/backendSelect.ts';
import type { Layout } from '../model/batches.ts';
import type { Precision } from '../model/precision.ts';

export type { BackendName, Layout, Precision };
export type AllReduceAlgorithm = 'ring' | 'postMessage';

/** Every knob of a run; each field is shown in the Training panel with a one-line explanation. */
export interface TrainConfig {
  /** Passes over the training split. */
  epochs: number;
  /** Global batch, counted in images (all captions of an image travel together). */
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** `prefix`: the notebook's one-sample-per-prefix; `sequence`: whole-caption teacher forcing. */
  layout: Layout;
  protocol: Protocol;
  /** mixed_float16: f16 compute in the fused WGSL kernels with dynamic loss scaling (WebGPU with shader-f16). */
  precision: Precision;
  /** Loss scale a mixed_float16 run starts at (Keras: 2^15). */
  initialLossScale?: number;
  /** Consecutive finite steps after which the loss scale doubles (Keras: 2000). */
  lossScaleGrowthSteps?: number;
  /**
   * The studio's own WGSL kernels on webgpu (dense+relu, the whole-sequence LSTM, output projection with
   * softmax cross-entropy) instead of stock tfjs ops.
   */
  fusedKernels: boolean;
  /** 1 = in-process; >1 = mirrored replicas in workers. */
  replicas: number;
  allReduce: AllReduceAlgorithm;
  /** Seeds weight init, shuffling and dropout. */
  seed: number;
  /** Dropout rate of both dropout layers (0.4 in the notebook; 0 for equivalence tests). */
  dropout: number;
  /** Images of the validation split decoded for BLEU after each epoch (0 = skip BLEU). */
  validationSample: number;
  /** Verify that replicas hold identical weights every K steps (mirrored only; 0 = never). */
  checksumEvery: number;
}

export const defaultTrainConfig: TrainConfig = {
  epochs: 20,
  batchSize: 64,
  learningRate: 1e-3,
  layout: 'sequence',
  protocol: 'standard',
  precision: 'float32',
  fusedKernels: true,
  replicas: 1,
  allReduce: 'ring',
  seed: 42,
  dropout: 0.4,
  validationSample: 100,
  checksumEvery: 10,
};

/**
 * The settings whose defaults follow the data (defaultTrainConfigFor): the Training panel applies these and
 * says which of them the user changed; the others are defaultTrainConfig's everywhere.
 */
export const DATA_DEFAULT_KEYS = ['epochs', 'batchSize', 'learningRate', 'dropout'] as const satisfies readonly (keyof TrainConfig)[];

/** Most replicas a mirrored run may have (the Training panel, the CLI and the trainer all clamp to it). */
export const maxReplicas = 8;

export interface Bleu {
  bleu1: number;
  bleu2: number;
  bleu3: number;
  bleu4: number;
}

/** BLEU where there is nothing to score (no validation images, no hypotheses): all four zero. */
export function zeroBleu(): Bleu {
  return { bleu1: 0, bleu2: 0, bleu3: 0, bleu4: 0 };
}

export type TrainerState = 'idle' | 'running' | 'paused' | 'stopped' | 'finished' | 'failed';

/** Time spent by one replica in one step, by phase, for the Gantt chart. */
export interface ReplicaPhasesMs {
  compute: number;
  readback: number;
  allReduceWait: number;
  apply: number;
  idle: number;
}

/** An error as it crosses threads: rebuilt as a real Error on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export type TrainerEvent =
  | { type: 'stateChanged'; state: TrainerState; reason?: string }
  /**
   * A paused run now waits before its next step: the step and the epoch's end (validation, checkpoint) that
   * were in flight at the pause are done, so nothing of the run computes or writes until it goes on.
   */
  | { type: 'runAtRest'; step: number }
  /**
   * A continued run (start({ resume: true })) goes on after the checkpoint it found: the epochs and steps that
   * checkpoint holds (0 and 0 when it found none, and the run starts over). The charts align to it.
   */
  | { type: 'resumedFrom'; epoch: number; step: number }
  | {
      type: 'stepCompleted';
      /** From 1. */
      epoch: number;
      /** Steps completed in the run, this one included (1 for the first; the same in both trainers). */
      step: number;
      /** Mean loss per real (non-padding) token of the global batch. */
      loss: number;
      tokens: number;
      durationMs: number;
      tokensPerSecond: number;
      /** Present under mixed_float16. */
      lossScale?: number;
      /** True when mixed precision met a non-finite gradient and skipped the update. */
      skipped?: boolean;
    }
  | {
      type: 'epochCompleted';
      epoch: number;
      trainLoss: number;
      valLoss: number | null;
      bleu: Bleu | null;
      durationMs: number;
      /**
       * Greedy captions (no markers) of the run's fixed sample images with the weights of this epoch, when the
       * trainer was given some (InProcessTrainerOptions.samples): what a student watches go from "a a a" to right.
       */
      samples?: { name: string; caption: string }[];
    }
  | { type: 'checkpointSaved'; epoch: number; step: number; location: string }
  | {
      type: 'workerTimeline';
      replica: number;
      step: number;
      /** Milliseconds since the run started. */
      startMs: number;
      phasesMs: ReplicaPhasesMs;
      /** Bytes the replica sent during the all-reduce (mirrored only). */
      bytesSent?: number;
      /** Bytes the sparse embedding rows saved against sending the embedding gradient densely. */
      bytesSavedBySparse?: number;
    }
  | { type: 'replicaChecksums'; step: number; checksums: string[]; identical: boolean }
  | {
      type: 'backendChosen';
      backend: BackendName;
      adapter?: string;
      fallbackReason?: string;
      /** The precision and the training kernels the run really uses (after any fall-back). */
      precision?: Precision;
      /** 'stock tfjs ops' | 'fused WGSL f32' | 'fused WGSL f16' */
      kernels?: string;
      /** Why the requested precision or kernels were not used (the studio shows it as a notice). */
      kernelFallbackReason?: string;
    }
  | { type: 'runFailed'; error: SerializedError; replica?: number }
  /** Mirrored only: the group as it runs (again after each recovery). */
  | {
      type: 'mirroredSetup';
      replicas: number;
      /** Stable ids of the replicas, in rank order (a restarted replica gets a new id). */
      replicaIds: number[];
      allReduce: AllReduceAlgorithm;
      backend: BackendName;
      /** Why the requested all-reduce was not used (e.g. no SharedArrayBuffer without cross-origin isolation). */
      fallbackReason?: string;
    }
  /** Mirrored only: a replica failed; the run pauses until recovered with remaining or restarted replicas. */
  | { type: 'replicaFault'; replica: number; step: number; cause: ReplicaFaultCause; message: string; error: SerializedError }
  /** Something the user must see but that does not stop the run (e.g. replicas no longer identical). */
  | { type: 'warning'; message: string; replica?: number };

export type ReplicaFaultCause = 'crashed' | 'threw' | 'exited' | 'deviceLost' | 'hung';
