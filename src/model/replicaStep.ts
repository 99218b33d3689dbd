/**
 * The caption model as a replica (src/engine/replicaModel.ts): gradient SUMS over a shard's real tokens,
 * Adam from the global mean gradients, state export for peers and checkpoints. The in-process trainer uses
 * the same class with one replica, so one code path computes every update.
 *
 * State layout (getState/setState): [...weights, ...adamFirstMoments, ...adamSecondMoments, [step]],
 * each in paramSpecs order.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../core/rng';
import { floatArraysChecksum } from '../engine/checksum';
import type { GradientSums, ReplicaContext, ReplicaModel, ReplicaModelFactory, VariableInfo } from '../engine/replicaModel';
import type { Layout } from '../engine/trainer';
import { Adam } from './adam';
import { batchTokenCount, type CaptionBatch } from './batches';
import { CaptionModel, EMBEDDING_PARAM_INDEX, initialWeights, type CaptionModelConfig } from './captionModel';
import { lossAndGradientSums, type PreparedBatch } from './gradients';

/** Plain-data options (they cross to workers as a ModelSpec's options). */
export interface CaptionReplicaOptions {
  config: CaptionModelConfig;
  layout: Layout;
  learningRate: number;
  /** Seeds the initial weights (identical on every replica) and, with the rank, the dropout masks. */
  seed: number;
  /** Start from these weights instead of a seeded init (paramSpecs order). */
  weights?: Float32Array[];
}

export class CaptionReplicaModel implements ReplicaModel<CaptionBatch> {
  readonly variables: VariableInfo[];
  readonly model: CaptionModel;
  readonly optimizer: Adam;
  private dropoutStep = 0;

  constructor(
    private readonly options: CaptionReplicaOptions,
    private readonly rank = 0,
  ) {
    this.model = new CaptionModel(options.config, options.weights ?? initialWeights(options.config, options.seed));
    this.optimizer = new Adam(this.model.variables, options.learningRate);
    this.variables = this.model.specs.map((spec, i) => ({
      name: spec.name,
      shape: spec.shape,
      ...(i === EMBEDDING_PARAM_INDEX ? { sparseRows: true } : {}),
    }));
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
   */
  gradientTensors(batch: CaptionBatch | PreparedBatch, step?: number): { lossSum: tf.Scalar; gradients: tf.Tensor[]; tokenCount: number } {
    this.dropoutStep += 1;
    const rate = this.options.config.dropout;
    const seed = deriveSeed(this.options.seed, `dropout/${this.rank}/${step ?? this.dropoutStep}`);
    return lossAndGradientSums(this.model.variables, this.options.config, batch, { layout: this.options.layout, dropout: rate, seed });
  }

  async computeGradients(batch: CaptionBatch): Promise<GradientSums> {
    if (batchTokenCount(batch) === 0) {
      return { lossSum: 0, tokenCount: 0, gradients: this.model.specs.map((s) => new Float32Array(size(s.shape))) };
    }
    const { lossSum, gradients, tokenCount } = this.gradientTensors(batch);
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

  async applyGradients(meanGradients: Float32Array[]): Promise<void> {
    const tensors = meanGradients.map((g, i) => tf.tensor(g, this.model.specs[i].shape));
    try {
      this.optimizer.apply(tensors);
    } finally {
      tensors.forEach((t) => t.dispose());
    }
  }

  async getWeights(): Promise<Float32Array[]> {
    return this.model.getWeights();
  }

  setWeights(weights: Float32Array[]): void {
    this.model.setWeights(weights);
  }

  async getState(): Promise<Float32Array[]> {
    const adam = await this.optimizer.getState();
    return [...(await this.model.getWeights()), ...adam.firstMoments, ...adam.secondMoments, Float32Array.of(adam.step)];
  }

  async setState(state: Float32Array[]): Promise<void> {
    const k = this.model.specs.length;
    if (state.length !== 3 * k + 1) throw new Error(`caption replica state has ${state.length} arrays, expected ${3 * k + 1}`);
    this.model.setWeights(state.slice(0, k));
    this.optimizer.setState({ step: state[3 * k][0], firstMoments: state.slice(k, 2 * k), secondMoments: state.slice(2 * k, 3 * k) });
  }

  async weightChecksum(): Promise<string> {
    return floatArraysChecksum(await this.model.getWeights());
  }

  async corrupt(delta: number): Promise<void> {
    const weights = await this.model.getWeights();
    weights[1] = weights[1].slice();
    weights[1][0] += delta;
    this.model.setWeights(weights);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** For src/engine/replicaRegistry.ts: `caption: async () => (await import('../model/replicaStep')).createCaptionReplicaModel`. */
export const createCaptionReplicaModel: ReplicaModelFactory = async (options, context: ReplicaContext) =>
  new CaptionReplicaModel(options as CaptionReplicaOptions, context.rank) as ReplicaModel;
