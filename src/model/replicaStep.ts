/**
 * The caption model as a replica (src/model/replicaModel.ts): gradient SUMS over a shard's real tokens,
 * Adam from the global mean gradients, state export for peers and checkpoints. The in-process trainer uses
 * the same class with one replica, so one code path computes every update.
 *
 * Under mixed_float16 the replica owns a LossScaler (Keras' dynamic loss scaling): the backward pass runs on
 * the scaled loss, and a step whose mean gradients hold a NaN or Inf is skipped and the scale halved.
 *
 * State layout (getState/setState): [...weights, ...adamFirstMoments, ...adamSecondMoments, counters],
 * each in paramSpecs order; counters = [adamStep] or, with a loss scaler, [adamStep, scale, goodSteps,
 * skippedSteps, scalerStep] (all exact in f32: the scale is a power of two, the counts stay below 2^24).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../core/rng.ts';
import { floatArraysChecksum } from '../core/checksum.ts';
import type { GradientSums, ReplicaContext, ReplicaModel, ReplicaModelFactory, StepOutcome, VariableInfo } from './replicaModel.ts';
import { Adam } from './adam.ts';
import { batchTokenCount, type CaptionBatch, type Layout } from './batches.ts';
import { CaptionModel, EMBEDDING_PARAM_INDEX, initialWeights, type CaptionModelConfig } from './captionModel.ts';
import { lossAndGradientSums, type PreparedBatch } from './gradients.ts';
import { chooseModelKernels, type KernelChoice } from './kernelChoice.ts';
import { checkWeightsFit } from './deviceLimits.ts';
import { allFinite, LossScaler, readStepCounters, stepCounters, type LossScalerOptions, type Precision } from './precision.ts';

/** Plain-data options (they cross to workers as a ModelSpec's options). */
export interface CaptionReplicaOptions {
  config: CaptionModelConfig;
  layout: Layout;
  learningRate: number;
  /** Seeds the initial weights (identical on every replica) and, with the rank, the dropout masks. */
  seed: number;
  /** Start from these weights instead of a seeded init (paramSpecs order). */
  weights?: Float32Array[];
  /**
   * The precision the run really uses (after resolveKernels): mixed_float16 adds dynamic loss scaling.
   * The kernels themselves are this thread's (chooseModelKernels), installed before the first step.
   */
  precision?: Precision;
  /** Loss-scaler settings under mixed_float16 (Keras defaults: 2^15, doubling after 2000 finite steps). */
  lossScale?: LossScalerOptions;
}

export class CaptionReplicaModel implements ReplicaModel<CaptionBatch> {
  readonly variables: VariableInfo[];
  readonly model: CaptionModel;
  readonly optimizer: Adam;
  /** Set by createCaptionReplicaModel: the kernels this replica's thread trains on (a worker reports it). */
  kernelChoice?: KernelChoice;
  private scaler: LossScaler | null;
  private dropoutStep = 0;

  constructor(
    private readonly options: CaptionReplicaOptions,
    private readonly rank = 0,
  ) {
    // Refused before the seeded weights are even drawn when they cannot be buffers of this device.
    checkWeightsFit(options.config);
    this.model = new CaptionModel(options.config, options.weights ?? initialWeights(options.config, options.seed));
    this.optimizer = new Adam(this.model.variables, options.learningRate);
    this.scaler = options.precision === 'mixed_float16' ? new LossScaler(options.lossScale) : null;
    this.variables = this.model.specs.map((spec, i) => ({
      name: spec.name,
      shape: spec.shape,
      ...(i === EMBEDDING_PARAM_INDEX ? { sparseRows: true } : {}),
    }));
  }

  /** Present under mixed_float16. */
  get lossScaler(): LossScaler | null {
    return this.scaler;
  }

  /** Switches loss scaling on (mixed_float16, a fresh scaler) or off, e.g. once the run's kernels are known. */
  setPrecision(precision: Precision, lossScale?: LossScalerOptions): void {
    if (precision === 'mixed_float16') this.scaler ??= new LossScaler(lossScale);
    else this.scaler = null;
  }

  get config(): CaptionModelConfig {
    return this.options.config;
  }

  set learningRate(rate: number) {
    this.optimizer.learningRate = rate;
  }

  /**
   * Gradient sums as tensors (the in-process trainer keeps them on the device). Caller disposes.
   * @param step seeds this step's dropout masks (with the rank); a resumed run passes the global step so it
   *   draws the masks the uninterrupted run would have.
   * @param globalTokenCount real tokens of the global batch (default: this batch's), for the loss scale.
   */
  gradientTensors(
    batch: CaptionBatch | PreparedBatch,
    step?: number,
    globalTokenCount?: number,
  ): { lossSum: tf.Scalar; gradients: tf.Tensor[]; tokenCount: number } {
    this.dropoutStep += 1;
    const rate = this.options.config.dropout;
    const seed = deriveSeed(this.options.seed, `dropout/${this.rank}/${step ?? this.dropoutStep}`);
    const tokens = globalTokenCount ?? ('prepared' in batch ? batch.tokenCount : batchTokenCount(batch));
    const lossFactor = this.lossScaler && tokens > 0 ? this.lossScaler.scale / tokens : undefined;
    return lossAndGradientSums(this.model.variables, this.options.config, batch, { layout: this.options.layout, dropout: rate, seed, lossFactor });
  }

  /**
   * One optimizer step from mean gradients kept on the device (the in-process trainer). Under mixed
   * precision one readback checks them all for NaN/Inf first.
   */
  async applyMeanTensors(means: tf.Tensor[]): Promise<StepOutcome | null> {
    if (!this.lossScaler) {
      this.optimizer.apply(means);
      return null;
    }
    return this.scaledUpdate(await allFinite(means), () => this.optimizer.apply(means));
  }

  /**
   * One whole training step on this thread, gradients kept on the device: gradient sums of the batch, their
   * mean per real token, Adam (under mixed precision: the scaled update, skipped on NaN/Inf).
   * @returns the batch's mean loss per token (non-finite where an f16 forward pass overflowed; NaN without tokens)
   */
  async trainStep(batch: CaptionBatch | PreparedBatch, step: number): Promise<{ loss: number; tokens: number; outcome: StepOutcome | null }> {
    // Nothing to learn from (no real token): no loss, no update (a mirrored replica skips it alike).
    if (('prepared' in batch ? batch.tokenCount : batchTokenCount(batch)) === 0) return { loss: NaN, tokens: 0, outcome: null };
    const { lossSum, gradients, tokenCount } = this.gradientTensors(batch, step);
    try {
      const means = tf.tidy(() => gradients.map((g) => g.div(tokenCount)));
      let outcome: StepOutcome | null;
      try {
        outcome = await this.applyMeanTensors(means);
      } finally {
        tf.dispose(means);
      }
      return { loss: (await lossSum.data())[0] / tokenCount, tokens: tokenCount, outcome };
    } finally {
      lossSum.dispose();
      tf.dispose(gradients);
    }
  }

  private scaledUpdate(finite: boolean, apply: () => void): StepOutcome {
    const update = this.scaler!.update(finite);
    if (finite) apply();
    return { skipped: update.skipped, lossScale: update.scale };
  }

  async computeGradients(batch: CaptionBatch, globalTokenCount?: number): Promise<GradientSums> {
    if (batchTokenCount(batch) === 0) {
      return { lossSum: 0, tokenCount: 0, gradients: this.model.specs.map((s) => new Float32Array(size(s.shape))) };
    }
    const { lossSum, gradients, tokenCount } = this.gradientTensors(batch, undefined, globalTokenCount);
    try {
      const readStart = performance.now();
      const arrays = (await Promise.all(gradients.map((g) => g.data()))) as Float32Array[];
      const loss = (await lossSum.data())[0];
      return { lossSum: loss, tokenCount, gradients: arrays, readbackMs: performance.now() - readStart };
    } finally {
      lossSum.dispose();
      gradients.forEach((g) => g.dispose());
    }
  }

  async applyGradients(meanGradients: Float32Array[]): Promise<StepOutcome | void> {
    const apply = () => {
      const tensors = meanGradients.map((g, i) => tf.tensor(g, this.model.specs[i].shape));
      try {
        this.optimizer.apply(tensors);
      } finally {
        tensors.forEach((t) => t.dispose());
      }
    };
    if (!this.lossScaler) return apply();
    // The reduced gradients are already on this thread: check them here, no device round trip.
    return this.scaledUpdate(meanGradients.every((g) => g.every(Number.isFinite)), apply);
  }

  async getWeights(): Promise<Float32Array[]> {
    return this.model.getWeights();
  }

  setWeights(weights: Float32Array[]): void {
    this.model.setWeights(weights);
  }

  async getState(): Promise<Float32Array[]> {
    const adam = await this.optimizer.getState();
    const counters = stepCounters(adam.step, this.lossScaler?.toJSON());
    return [...(await this.model.getWeights()), ...adam.firstMoments, ...adam.secondMoments, counters];
  }

  async setState(state: Float32Array[]): Promise<void> {
    const k = this.model.specs.length;
    if (state.length !== 3 * k + 1) throw new Error(`caption replica state has ${state.length} arrays, expected ${3 * k + 1}`);
    this.model.setWeights(state.slice(0, k));
    const counters = readStepCounters(state[3 * k]);
    this.optimizer.setState({ step: counters.adamStep, firstMoments: state.slice(k, 2 * k), secondMoments: state.slice(2 * k, 3 * k) });
    if (this.lossScaler && counters.lossScaler) this.lossScaler.restore(counters.lossScaler);
  }

  async weightChecksum(): Promise<string> {
    return floatArraysChecksum(await this.model.getWeights());
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** For src/engine/mirrored/worker/registry.ts: `caption: async () => (await import('./replicaStep.ts')).createCaptionReplicaModel`. */
export const createCaptionReplicaModel: ReplicaModelFactory = async (options, context: ReplicaContext) => {
  const requested = options as CaptionReplicaOptions & { fusedKernels?: boolean };
  // This worker's own kernels: fused WGSL (and f16) when its device allows, the reason otherwise.
  const choice = await chooseModelKernels({ fusedKernels: requested.fusedKernels ?? false, precision: requested.precision ?? 'float32' });
  const model = new CaptionReplicaModel({ ...requested, precision: choice.precision }, context.rank);
  model.kernelChoice = choice;
  return model as ReplicaModel;
};
