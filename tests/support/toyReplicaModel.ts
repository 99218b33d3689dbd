/**
 * A tiny bag-of-words next-word model with the caption model's gradient semantics (sums over real tokens,
 * an embedding table whose gradient is sparse in rows, Adam), used to test and benchmark the mirrored
 * machinery without the caption model. Forward and backward run in tfjs on the replica's backend; Adam runs
 * in plain JS on Float32Arrays so optimizer state is trivially exported and bit-reproducible.
 *
 * Embedding lookup is a one-hot matmul rather than tf.gather: gather's gradient (UnsortedSegmentSum) is not
 * registered on the wasm backend. The gradient is still zero outside the rows of the batch's words.
 *
 * With `precision: 'mixed_float16'` it imitates the caption model's mixed precision on any backend, cheaply:
 * a LossScaler, and an "f16" backward pass that overflows where the real one does first: the per-token
 * gradient of the logits (softmax − one-hot, up to 1 in size) times scale / globalTokens beyond f16's
 * largest finite value. The gradients are then ±Infinity and the step is skipped. The test depends only on
 * the global token count, so every shard of a step overflows alike, however the batch is cut.
 */
import * as tf from '@tensorflow/tfjs';
import { LossScaler, readStepCounters, stepCounters, type LossScalerOptions } from '../../src/model/precision';
import { floatArraysChecksum } from '../../src/core/checksum';
import { mulberry32 } from '../../src/core/rng';
import type { GradientSums, ReplicaModel, ReplicaModelFactory, StepOutcome, VariableInfo } from '../../src/model/replicaModel';
import type { Precision } from '../../src/engine/training/trainer';

export interface ToyModelOptions {
  vocabSize: number;
  embeddingDim: number;
  hiddenDim: number;
  seed: number;
  learningRate: number;
  /** mixed_float16: loss scaling with simulated f16 overflow (see above); default float32. */
  precision?: Precision;
  lossScale?: LossScalerOptions;
  /**
   * A replica that silently diverges, as a faulty device would: after its `afterStep`-th applied step the
   * replica of rank `rank` adds `delta` to one weight. The checksums must catch it.
   */
  diverge?: { rank: number; afterStep: number; delta: number };
}

/** Largest finite f16 value: a scaled logit gradient beyond it overflows to ±Infinity. */
const F16_MAX = 65504;

/** A global batch or shard: `contexts` [n, contextLength] word ids; `targets` [n, targetLength], 0 = padding. */
export interface ToyBatch {
  contexts: Int32Array;
  targets: Int32Array;
  contextLength: number;
  targetLength: number;
}

export function toyBatchSize(batch: ToyBatch): number {
  return batch.contexts.length / batch.contextLength;
}

/** Real (non-padding) target tokens of each example. */
export function toyExampleTokens(batch: ToyBatch): number[] {
  const counts: number[] = [];
  for (let i = 0; i < toyBatchSize(batch); i++) {
    let count = 0;
    for (let j = 0; j < batch.targetLength; j++) if (batch.targets[i * batch.targetLength + j] !== 0) count++;
    counts.push(count);
  }
  return counts;
}

export function sliceToyBatch(batch: ToyBatch, start: number, end: number): ToyBatch {
  return {
    contexts: batch.contexts.slice(start * batch.contextLength, end * batch.contextLength),
    targets: batch.targets.slice(start * batch.targetLength, end * batch.targetLength),
    contextLength: batch.contextLength,
    targetLength: batch.targetLength,
  };
}

/** Seeded synthetic batches: targets follow the context words, so the loss really falls. */
export function makeToyBatch(seed: number, examples: number, vocabSize: number, contextLength = 4, targetLength = 5): ToyBatch {
  const random = mulberry32(seed);
  const contexts = new Int32Array(examples * contextLength);
  const targets = new Int32Array(examples * targetLength);
  for (let i = 0; i < examples; i++) {
    for (let j = 0; j < contextLength; j++) contexts[i * contextLength + j] = 1 + Math.floor(random() * (vocabSize - 1));
    const length = 1 + Math.floor(random() * targetLength);
    for (let j = 0; j < length; j++) {
      const anchor = contexts[i * contextLength + (j % contextLength)];
      targets[i * targetLength + j] = 1 + ((anchor + j) % (vocabSize - 1));
    }
  }
  return { contexts, targets, contextLength, targetLength };
}

export { mulberry32 };

const beta1 = 0.9;
const beta2 = 0.999;
const epsilon = 1e-7;

export class ToyReplicaModel implements ReplicaModel<ToyBatch> {
  readonly variables: VariableInfo[];
  private weights: Float32Array[];
  private firstMoments: Float32Array[];
  private secondMoments: Float32Array[];
  private stepCount = 0;
  private appliedSteps = 0;
  readonly lossScaler: LossScaler | null;
  readonly kernelChoice: { precision: Precision; kernels: string };

  constructor(
    private readonly options: ToyModelOptions,
    private readonly rank = 0,
  ) {
    const mixed = options.precision === 'mixed_float16';
    this.lossScaler = mixed ? new LossScaler(options.lossScale) : null;
    this.kernelChoice = { precision: mixed ? 'mixed_float16' : 'float32', kernels: mixed ? 'toy ops, simulated f16 overflow' : 'toy ops' };
    const { vocabSize: v, embeddingDim: d, hiddenDim: h } = options;
    this.variables = [
      { name: 'embedding', shape: [v, d], sparseRows: true },
      { name: 'hidden/kernel', shape: [d, h] },
      { name: 'hidden/bias', shape: [h] },
      { name: 'output/kernel', shape: [h, v] },
      { name: 'output/bias', shape: [v] },
    ];
    const random = mulberry32(options.seed);
    this.weights = this.variables.map(({ shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (shape.length === 2) {
        const limit = Math.sqrt(6 / (shape[0] + shape[1]));
        for (let i = 0; i < size; i++) values[i] = (random() * 2 - 1) * limit;
      }
      return values;
    });
    this.firstMoments = this.weights.map((w) => new Float32Array(w.length));
    this.secondMoments = this.weights.map((w) => new Float32Array(w.length));
  }

  async computeGradients(batch: ToyBatch, globalTokenCount?: number): Promise<GradientSums> {
    const n = toyBatchSize(batch);
    const { vocabSize: v } = this.options;
    const tokenCount = toyExampleTokens(batch).reduce((a, b) => a + b, 0);
    if (n === 0 || tokenCount === 0) {
      return { lossSum: 0, tokenCount: 0, gradients: this.weights.map((w) => new Float32Array(w.length)) };
    }
    // counts [n, vocab]: how often each word is a target of example i (padding excluded).
    const counts = new Float32Array(n * v);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < batch.targetLength; j++) {
        const word = batch.targets[i * batch.targetLength + j];
        if (word !== 0) counts[i * v + word] += 1;
      }
    }
    const { value, grads } = tf.tidy(() => {
      const params = this.weights.map((w, k) => tf.tensor(w, this.variables[k].shape));
      const contexts = tf.tensor2d(batch.contexts, [n, batch.contextLength], 'int32');
      const targetCounts = tf.tensor2d(counts, [n, v]);
      const lossOf = (embedding: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
        const oneHot = tf.oneHot(contexts.reshape([-1]), v).toFloat(); // [n*C, vocab]
        const embedded = tf.matMul(oneHot, embedding as tf.Tensor2D).reshape([n, batch.contextLength, -1]);
        const pooled = embedded.mean(1) as tf.Tensor2D; // [n, D]
        const hidden = tf.relu(tf.matMul(pooled, w1 as tf.Tensor2D).add(b1)) as tf.Tensor2D; // [n, H]
        const logits = tf.matMul(hidden, w2 as tf.Tensor2D).add(b2); // [n, vocab]
        return tf.neg(tf.sum(tf.mul(targetCounts, tf.logSoftmax(logits)))) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(lossOf as (...args: tf.Tensor[]) => tf.Scalar)(params);
      return { value, grads };
    });
    try {
      const readStart = performance.now();
      const gradients = (await Promise.all(grads.map((g) => g.data()))) as Float32Array[];
      const lossSum = (await value.data())[0];
      if (this.lossScaler && this.lossScaler.scale / (globalTokenCount ?? tokenCount) > F16_MAX) overflow(gradients);
      return { lossSum, tokenCount, gradients, readbackMs: performance.now() - readStart };
    } finally {
      value.dispose();
      grads.forEach((g) => g.dispose());
    }
  }

  async applyGradients(meanGradients: Float32Array[]): Promise<StepOutcome | void> {
    this.appliedSteps += 1;
    const diverge = this.options.diverge;
    try {
      if (this.lossScaler) {
        const update = this.lossScaler.update(meanGradients.every((g) => g.every(Number.isFinite)));
        if (!update.skipped) this.adam(meanGradients);
        return { skipped: update.skipped, lossScale: update.scale };
      }
      this.adam(meanGradients);
    } finally {
      if (diverge && diverge.rank === this.rank && diverge.afterStep === this.appliedSteps) this.weights[1][0] += diverge.delta;
    }
  }

  private adam(meanGradients: Float32Array[]): void {
    this.stepCount += 1;
    const t = this.stepCount;
    const rate = (this.options.learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    for (let k = 0; k < this.weights.length; k++) {
      const w = this.weights[k];
      const m = this.firstMoments[k];
      const s = this.secondMoments[k];
      const g = meanGradients[k];
      for (let i = 0; i < w.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        s[i] = beta2 * s[i] + (1 - beta2) * g[i] * g[i];
        w[i] -= (rate * m[i]) / (Math.sqrt(s[i]) + epsilon);
      }
    }
  }

  /** Counters as the caption model's: [adamStep] or [adamStep, scale, goodSteps, skippedSteps, scalerStep]. */
  async getState(): Promise<Float32Array[]> {
    const counters = stepCounters(this.stepCount, this.lossScaler?.toJSON());
    return [...this.weights, ...this.firstMoments, ...this.secondMoments, counters].map((a) => a.slice());
  }

  async setState(state: Float32Array[]): Promise<void> {
    const k = this.weights.length;
    if (state.length !== 3 * k + 1) throw new Error(`state has ${state.length} arrays, expected ${3 * k + 1}`);
    this.weights = state.slice(0, k).map((a) => a.slice());
    this.firstMoments = state.slice(k, 2 * k).map((a) => a.slice());
    this.secondMoments = state.slice(2 * k, 3 * k).map((a) => a.slice());
    const counters = readStepCounters(state[3 * k]);
    this.stepCount = counters.adamStep;
    if (this.lossScaler && counters.lossScaler) this.lossScaler.restore(counters.lossScaler);
  }

  async weightChecksum(): Promise<string> {
    return floatArraysChecksum(this.weights);
  }

  /** Weights only, for tests. */
  weightsSnapshot(): Float32Array[] {
    return this.weights.map((w) => w.slice());
  }

  dispose(): void {}
}

/** What an f16 overflow in the logits' gradient does downstream: every non-zero gradient is ±Infinity (in place). */
function overflow(gradients: Float32Array[]): void {
  for (const g of gradients) for (let i = 0; i < g.length; i++) if (g[i] !== 0) g[i] = Math.sign(g[i]) * Infinity;
}

export const createToyReplicaModel: ReplicaModelFactory = async (options, context) =>
  new ToyReplicaModel(options as ToyModelOptions, context.rank) as ReplicaModel;
