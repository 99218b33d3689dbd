/**
 * Messages between the trainer (page or Node main thread) and a replica worker, as discriminated unions.
 * Everything here is structured-clone safe; typed arrays listed in a message's transfer list move, not copy.
 * Errors cross as SerializedError and are rebuilt as real Errors on the other side (never as bare strings).
 */
import type { StepOutcome, VariableInfo } from '../model/replicaModel.ts';
import type { BackendName, Precision, ReplicaPhasesMs, SerializedError } from './training.ts';

/** Which model a worker builds: a key of the worker's model registry plus plain-data options. */
export interface ModelSpec {
  kind: string;
  options: unknown;
}

/**
 * The run's precision settings (from its TrainConfig), merged into the ModelSpec's options a replica builds
 * its model from; a model kind that has no precision choice ignores them.
 */
export interface ReplicaPrecisionOptions {
  precision: Precision;
  fusedKernels: boolean;
  /** Loss-scaler settings under mixed_float16 (LossScalerOptions). */
  lossScale?: { initialScale?: number; growthSteps?: number };
}

/** The training kernels a replica installed on its own backend, and why it fell back if it did. */
export interface ReplicaKernelChoice {
  precision: Precision;
  /** 'stock tfjs ops' | 'fused WGSL f32' | 'fused WGSL f16' (or a test model's own label). */
  kernels: string;
  fallbackReason?: string;
}

/** What the replica learns about its place in the group; sent at init and again after a recovery. */
export interface GroupConfig {
  rank: number;
  worldSize: number;
  algorithm: 'ring' | 'postMessage';
  /** Present for the ring: the control words, mailboxes and sparse segments shared by the group. */
  shared?: SharedArrayBuffer;
}

/** Test-only fault injection: the replica misbehaves at this global step (0-based). */
export interface FaultInjection {
  step: number;
  /**
   * throw: computeGradients rejects; crash: an uncaught exception kills the worker; exit: the thread ends;
   * hang: the thread stays alive but blocks for good in the middle of the step (answers nothing, not even
   * releaseDevice), as a replica stuck in a driver call does.
   */
  kind: 'throw' | 'crash' | 'exit' | 'deviceLost' | 'hang';
  /**
   * When in the step: at its start (default), once the replica has applied the step's reduced gradients
   * and before it reports it (a device lost then: its peers applied the step too), or when it is asked for its
   * weights' checksum after the step, outside any step (the run's final identity check after its last step), or
   * when it is asked for its full state after the step (for the step's evaluation and checkpoint, or the
   * run's final weights).
   */
  at?: 'start' | 'afterApply' | 'checksum' | 'state';
}

/** A sparse gradient as it travels: `rows` is [indices.length, rowWidth] row-major. */
export interface SparseRowsWire {
  indices: Int32Array;
  rows: Float32Array;
}

export type ToReplica =
  | {
      type: 'init';
      id: number;
      model: ModelSpec;
      backend: BackendName;
      group: GroupConfig;
      fault?: FaultInjection;
    }
  | { type: 'configureGroup'; id: number; group: GroupConfig }
  | { type: 'step'; id: number; step: number; shard: unknown; globalTokenCount: number; wantChecksum: boolean }
  /** postMessage all-reduce: the summed gradients of the whole group (dense flat + one entry per sparse var). */
  | { type: 'reduced'; step: number; dense: Float32Array; sparse: SparseRowsWire[] }
  /** postMessage all-reduce: a peer failed; give up on this step. */
  | { type: 'abortStep'; step: number }
  | { type: 'getState'; id: number }
  | { type: 'setState'; id: number; state: Float32Array[]; appliedSteps: number }
  | { type: 'checksum'; id: number }
  | { type: 'dispose'; id: number }
  /**
   * Sent just before the worker is terminated, handled at once (not behind a running step): destroy the GPU
   * device so its pending buffer maps settle first. Dawn in Node aborts the whole process when a worker
   * thread ends with a mapAsync still pending.
   */
  | { type: 'releaseDevice' };

export interface StepReport {
  step: number;
  lossSum: number;
  tokenCount: number;
  /** Absolute wall clock (ms since the Unix epoch) when the replica received the step. */
  startMs: number;
  phasesMs: Omit<ReplicaPhasesMs, 'idle'>;
  /** Bytes this replica sent to its peers (or the hub) during the all-reduce. */
  bytesSent: number;
  /** Bytes the embedding rows would have cost sent densely, minus what the sparse rows cost. */
  bytesSavedBySparse: number;
  checksum?: string;
  /** The optimizer step's outcome under mixed precision (skip + loss scale); absent for float32. */
  outcome?: StepOutcome;
}

export type FromReplica =
  | {
      type: 'ready';
      id: number;
      backend: BackendName;
      adapter?: string;
      fallbackReason?: string;
      /** Absent when the model kind makes no kernel choice (the toy model). */
      kernels?: ReplicaKernelChoice;
      variables: VariableInfo[];
      appliedSteps: number;
    }
  | { type: 'ok'; id: number }
  | { type: 'stepDone'; id: number; report: StepReport; appliedSteps: number }
  /** Sent unprompted once the step's gradients are computed (before the all-reduce): tells a hung replica from peers waiting on it. */
  | { type: 'computed'; step: number }
  /** The step was given up because a peer failed; nothing was applied. */
  | { type: 'stepAborted'; id: number; step: number; appliedSteps: number }
  /** postMessage all-reduce: this replica's gradient sums. */
  | { type: 'gradients'; step: number; dense: Float32Array; sparse: SparseRowsWire[] }
  | { type: 'state'; id: number; state: Float32Array[]; appliedSteps: number }
  | { type: 'checksum'; id: number; checksum: string }
  | { type: 'error'; id: number; error: SerializedError }
  /** Sent unprompted when the replica's GPU device is lost. */
  | { type: 'deviceLost'; error: SerializedError }
  /** Answer to releaseDevice: the device is gone; the worker may be terminated. */
  | { type: 'deviceReleased' };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** Rebuilds a real Error (name, message, code and the far side's stack) from its wire form. */
export function deserializeError(wire: SerializedError): Error & { code?: string } {
  const error = new Error(wire.message) as Error & { code?: string };
  error.name = wire.name;
  if (wire.stack) error.stack = wire.stack;
  if (wire.code) error.code = wire.code;
  return error;
}
