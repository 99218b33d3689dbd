/**
 * What the mirrored machinery needs from a model replica: gradient SUMS over the shard's real tokens (not
 * means), so that summing across replicas and dividing by the global token count gives exactly the
 * full-batch mean gradient; and one optimizer update from mean gradients that is a pure function of the
 * state and the gradients, so identical inputs keep replicas bit-identical.
 */
import type { BackendName } from '../gpu/backendSelect.ts';

export interface VariableInfo {
  name: string;
  shape: number[];
  /**
   * True for an embedding table [rows, width]: its gradient is zero outside the rows of the batch's words,
   * so the all-reduce sends row indices plus rows instead of the whole table.
   */
  sparseRows?: boolean;
}

export interface GradientSums {
  /** Sum of the per-token losses over the shard's real (non-padding) tokens. */
  lossSum: number;
  tokenCount: number;
  /** One per variable, in `variables` order, each the flattened sum over tokens. */
  gradients: Float32Array[];
  /** Time the model spent copying results from the device, if it measured it (part of computeGradients). */
  readbackMs?: number;
}

/** What an optimizer step did; only a mixed-precision model reports it (its loss scaler decides). */
export interface StepOutcome {
  /** True when a gradient was non-finite and the update was not applied. */
  skipped: boolean;
  /** The loss scale for the next step. */
  lossScale: number;
}

export interface ReplicaModel<Batch = unknown> {
  readonly variables: readonly VariableInfo[];
  /**
   * @param globalTokenCount real tokens of the whole global batch (all shards): a mixed-precision model
   *   scales its loss as Keras does, by lossScale / globalTokenCount.
   */
  computeGradients(batch: Batch, globalTokenCount?: number): Promise<GradientSums>;
  /**
   * One optimizer step (Adam) from the mean gradients of the global batch, in `variables` order. Every
   * replica sees the same reduced gradients, so a mixed-precision model's skip decision is the same on all.
   * The arrays are the caller's again once it resolves (the worker host reuses them the next step): keep no
   * reference to them.
   */
  applyGradients(meanGradients: Float32Array[]): Promise<StepOutcome | void>;
  /** Everything a peer needs to continue identically: weights, optimizer moments, step counter. */
  getState(): Promise<Float32Array[]>;
  setState(state: Float32Array[]): Promise<void>;
  /** A hash of the exact bits of the weights. */
  weightChecksum(): Promise<string>;
  dispose(): void;
}

export interface ReplicaContext {
  backend: BackendName;
  rank: number;
}

/** Builds a replica model inside a worker from the plain-data options of a ModelSpec. */
export type ReplicaModelFactory = (options: unknown, context: ReplicaContext) => Promise<ReplicaModel>;
export type ReplicaModelRegistry = Record<string, () => Promise<ReplicaModelFactory>>;
