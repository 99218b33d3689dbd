/**
 * The notebook's merge captioner, written as weights plus functional forward passes so the math is ours
 * (layouts, gradients as sums over tokens, the training pass on a swappable kernel set, src/model/kernels.ts):
 *
 *   input_1 features [F] → dropout → dense (units, relu) ─┐
 *   input_2 tokens → embedding (mask_zero) → dropout_1 → lstm (units) ─┴→ add → dense_1 (units, relu)
 *                                                                          → dense_2 (vocab, softmax)
 *
 * Weight names are the Keras layer names of the notebook's functional model, so a converted notebook model
 * loads by name (weightsIo.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed, mulberry32 } from '../core/rng.ts';
import type { PrefixArrays, SequenceArrays } from './batches.ts';
import { checkWeightsFit } from './deviceLimits.ts';
import { glorotUniform, orthogonal, uniform } from './init.ts';
import { modelKernels, stockKernels, type ModelKernels } from './kernels.ts';
import { dropout, gatherRows, lstmLayer, lstmStep, matMul, type LstmParams } from './ops.ts';

export interface CaptionModelConfig {
  /** Tokenizer words + 1 (index 0 is padding), as the notebook's `vocab_size`. */
  vocabSize: number;
  /** Longest caption in tokens, markers included (the notebook's `max_length`; input_2's width). */
  maxLength: number;
  /** Width of the image features (4096 for VGG16 fc2; MobileNet: its pooled width). */
  featureDim: number;
  /** Width of dense, lstm and dense_1 (256 in the notebook; `add` needs dense and lstm equal). */
  units: number;
  /** Embedding width (256 in the notebook). */
  embedDim: number;
  /** Rate of both dropout layers (0.4 in the notebook). */
  dropout: number;
}

export const notebookConfig = (vocabSize: number, maxLength: number, featureDim = 4096): CaptionModelConfig => ({
  vocabSize,
  maxLength,
  featureDim,
  units: 256,
  embedDim: 256,
  dropout: 0.4,
});

export interface ParamSpec {
  /** `<keras layer>/<weight>`, e.g. `lstm/recurrent_kernel`. */
  name: string;
  layer: string;
  weight: 'kernel' | 'bias' | 'embeddings' | 'recurrent_kernel';
  shape: number[];
}

/** Trainable variables in their fixed order (the order of gradients and of saved weights). */
export function paramSpecs(config: CaptionModelConfig): ParamSpec[] {
  const { featureDim: f, units: u, embedDim: e, vocabSize: v } = config;
  const spec = (layer: string, weight: ParamSpec['weight'], shape: number[]): ParamSpec => ({
    name: `${layer}/${weight}`,
    layer,
    weight,
    shape,
  });
  return [
    spec('dense', 'kernel', [f, u]),
    spec('dense', 'bias', [u]),
    spec('embedding', 'embeddings', [v, e]),
    spec('lstm', 'kernel', [e, 4 * u]),
    spec('lstm', 'recurrent_kernel', [u, 4 * u]),
    spec('lstm', 'bias', [4 * u]),
    spec('dense_1', 'kernel', [u, u]),
    spec('dense_1', 'bias', [u]),
    spec('dense_2', 'kernel', [u, v]),
    spec('dense_2', 'bias', [v]),
  ];
}

export const EMBEDDING_PARAM_INDEX = 2;

/** Keras' default initialisers, seeded: the same seed gives the same weights everywhere. */
export function initialWeights(config: CaptionModelConfig, seed: number): Float32Array[] {
  return paramSpecs(config).map((spec) => {
    const rand = mulberry32(deriveSeed(seed, spec.name));
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.weight === 'embeddings') return uniform(rand, size, 0.05);
    if (spec.weight === 'recurrent_kernel') return orthogonal(rand, spec.shape[0], spec.shape[1]);
    if (spec.weight === 'kernel') return glorotUniform(rand, spec.shape[0], spec.shape[1]);
    const bias = new Float32Array(size);
    // unit_forget_bias: the forget gate (second quarter, order i f c o) starts at 1.
    if (spec.layer === 'lstm') bias.fill(1, size / 4, size / 2);
    return bias;
  });
}

/** The model's tensors, in paramSpecs order. */
export interface Params {
  denseKernel: tf.Tensor2D;
  denseBias: tf.Tensor1D;
  embeddings: tf.Tensor2D;
  lstm: LstmParams;
  dense1Kernel: tf.Tensor2D;
  dense1Bias: tf.Tensor1D;
  dense2Kernel: tf.Tensor2D;
  dense2Bias: tf.Tensor1D;
}

export function asParams(list: readonly tf.Tensor[]): Params {
  const [dk, db, emb, lk, lrk, lb, d1k, d1b, d2k, d2b] = list;
  return {
    denseKernel: dk as tf.Tensor2D,
    denseBias: db as tf.Tensor1D,
    embeddings: emb as tf.Tensor2D,
    lstm: { kernel: lk as tf.Tensor2D, recurrentKernel: lrk as tf.Tensor2D, bias: lb as tf.Tensor1D },
    dense1Kernel: d1k as tf.Tensor2D,
    dense1Bias: d1b as tf.Tensor1D,
    dense2Kernel: d2k as tf.Tensor2D,
    dense2Bias: d2b as tf.Tensor1D,
  };
}

export interface ForwardOptions {
  /** Dropout rate; 0 (or not training) switches dropout off. */
  dropout: number;
  /** Seed of this step's dropout masks. */
  seed?: number;
}

/** features [n, F] → dropout → dense relu → [n, units] */
export function imageBranch(p: Params, features: tf.Tensor2D, options: ForwardOptions, kernels: ModelKernels = stockKernels): tf.Tensor2D {
  const dropped = dropout(features, options.dropout, options.seed === undefined ? undefined : options.seed + 1);
  return kernels.dense(dropped, p.denseKernel, p.denseBias, true);
}

/** ids [m] int32 → embedding → dropout_1 → [m, embed] (the dropout seed varies with a per-call salt). */
function embedder(p: Params, options: ForwardOptions): (ids: tf.Tensor1D) => tf.Tensor2D {
  let call = 0;
  return (ids) => {
    call += 1;
    const seed = options.seed === undefined ? undefined : options.seed + 2 + 104729 * call;
    return dropout(gatherRows(p.embeddings, ids), options.dropout, seed);
  };
}

/** add → dense_1 relu → dense_2: logits (softmax is folded into the loss and the decoders). */
export function decoderLogits(p: Params, image: tf.Tensor2D, sequence: tf.Tensor2D): tf.Tensor2D {
  const hidden = tf.relu(matMul(image.add(sequence) as tf.Tensor2D, p.dense1Kernel).add(p.dense1Bias)) as tf.Tensor2D;
  return matMul(hidden, p.dense2Kernel).add(p.dense2Bias) as tf.Tensor2D;
}

/** The training head on the active kernels: add → dense_1 relu → dense_2 → summed cross-entropy. */
function headLossSum(p: Params, image: tf.Tensor2D, sequence: tf.Tensor2D, targets: tf.Tensor1D, kernels: ModelKernels): tf.Scalar {
  const hidden = kernels.dense(image.add(sequence) as tf.Tensor2D, p.dense1Kernel, p.dense1Bias, true);
  return kernels.outputLossSum(hidden, p.dense2Kernel, p.dense2Bias, targets);
}

/**
 * Summed cross-entropy over the real targets, `sequence` layout, on this thread's training kernels.
 * @param features [images, F]
 */
export function sequenceLossSum(p: Params, features: tf.Tensor2D, a: SequenceArrays, options: ForwardOptions): tf.Scalar {
  const kernels = modelKernels();
  const image = gatherRows(imageBranch(p, features, options, kernels), tf.tensor1d(a.rowImage, 'int32')); // [rows, u]
  // [steps·rows, u], time-major: the state of row r after step t is row t·rows + r.
  const sequence = lstmLayer(a.inputs, a.rows, a.steps, embedder(p, options), p.lstm, true, kernels.sequenceLstm);
  const timeMajor = a.targetPositions.map((position) => (position % a.steps) * a.rows + Math.floor(position / a.steps));
  const rowOfPosition = tf.tensor1d(a.targetPositions.map((position) => Math.floor(position / a.steps)), 'int32');
  const targets = tf.tensor1d(a.targets, 'int32');
  return headLossSum(p, gatherRows(image, rowOfPosition), gatherRows(sequence, tf.tensor1d(timeMajor, 'int32')), targets, kernels);
}

/** Summed cross-entropy over the samples, `prefix` layout. @param features [images, F] */
export function prefixLossSum(p: Params, features: tf.Tensor2D, a: PrefixArrays, options: ForwardOptions): tf.Scalar {
  const kernels = modelKernels();
  const image = gatherRows(imageBranch(p, features, options, kernels), tf.tensor1d(a.sampleImage, 'int32'));
  const last = lstmLayer(a.inputs, a.samples, a.steps, embedder(p, options), p.lstm, false, kernels.sequenceLstm);
  return headLossSum(p, image, last, tf.tensor1d(a.targets, 'int32'), kernels);
}

/**
 * One decoding step for a batch of rows: feed one token each, get the next-word distribution.
 * @param image [n, units] (imageBranch output) @param tokens [n] int32 @param h,c [n, units]
 * @returns probabilities [n, vocab] and the new state
 */
export function decodeStep(
  p: Params,
  image: tf.Tensor2D,
  tokens: tf.Tensor1D,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
): { probs: tf.Tensor2D; h: tf.Tensor2D; c: tf.Tensor2D } {
  const x = tf.gather(p.embeddings, tokens) as tf.Tensor2D;
  const state = lstmStep(x, h, c, p.lstm);
  return { probs: tf.softmax(decoderLogits(p, image, state.h)), ...state };
}

/** The weights held as tf.Variables in paramSpecs order, with their config. */
export class CaptionModel {
  readonly specs: ParamSpec[];
  readonly variables: tf.Variable[];

  constructor(
    readonly config: CaptionModelConfig,
    weights: Float32Array[],
  ) {
    this.specs = paramSpecs(config);
    // Before any variable reaches the device: weights wider than one of its buffers are refused here.
    checkWeightsFit(config);
    if (weights.length !== this.specs.length) {
      throw new Error(`caption model needs ${this.specs.length} weight arrays, got ${weights.length}`);
    }
    this.variables = this.specs.map((spec, i) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (weights[i].length !== size) {
        throw new Error(`weight ${spec.name}: ${weights[i].length} values, expected ${size} for shape [${spec.shape}]`);
      }
      // In tidy: the tensor a variable starts from is freed with the scope (the variable keeps its own data).
      return tf.tidy(() => tf.variable(tf.tensor(weights[i], spec.shape), true));
    });
  }

  static random(config: CaptionModelConfig, seed: number): CaptionModel {
    return new CaptionModel(config, initialWeights(config, seed));
  }

  get params(): Params {
    return asParams(this.variables);
  }

  async getWeights(): Promise<Float32Array[]> {
    return Promise.all(this.variables.map(async (v) => (await v.data()) as Float32Array));
  }

  setWeights(weights: Float32Array[]): void {
    this.specs.forEach((spec, i) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (weights[i].length !== size) throw new Error(`weight ${spec.name}: ${weights[i].length} values, expected ${size}`);
      tf.tidy(() => this.variables[i].assign(tf.tensor(weights[i], spec.shape)));
    });
  }

  parameterCount(): number {
    return this.specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  dispose(): void {
    this.variables.forEach((v) => v.dispose());
  }
}
