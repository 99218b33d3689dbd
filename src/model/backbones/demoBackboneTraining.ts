/**
 * Pretraining of the demo backbone (demoBackbone.ts) on freshly drawn demo scenes, seeded end to end, and its
 * attribute accuracy. Used by `npm run pretrain:demo-backbone` (tests/tools/pretrainDemoBackbone.ts) and the
 * tests that check the committed weights.
 *
 * tfjs' wasm backend has no Conv2DBackpropFilter kernel (the gradient of a convolution by its kernel), and the
 * cpu backend's convolutions are many times slower than wasm's: the training pass runs tf.conv2d with a custom
 * gradient whose kernel part is 9 matrix products (one per tap of the 3×3 kernel). The weights are the Layers
 * model's own (same names and shapes), so what is trained here is what `loadBackbone` runs; a test checks the
 * training pass against the Layers model and the kernel gradient against a finite difference.
 */
import * as tf from '@tensorflow/tfjs';
import { generateDemoScenes, renderScene, type DemoScene } from '../../core/data/demo.ts';
import { resizeRgb } from '../images/decode.ts';
import { preprocessTf } from './preprocess.ts';
import { buildDemoBackbone, DEMO_ATTRIBUTE_HEADS, DEMO_BACKBONE_INPUT, DEMO_CONV_FILTERS, DEMO_HIDDEN_LAYER, decodeAttributes } from './demoBackbone.ts';

/** Pictures as the extractor would feed them: drawn at the demo's 128 pixels, resized to 64, RGB 0..255. */
export function demoPixels(scenes: readonly DemoScene[], imageSize = 128): Float32Array {
  const side = DEMO_BACKBONE_INPUT;
  const out = new Float32Array(scenes.length * side * side * 3);
  scenes.forEach((scene, i) => {
    const rgb = renderScene(scene, imageSize);
    out.set(resizeRgb({ width: imageSize, height: imageSize, data: rgb }, side, 'bilinear'), i * side * side * 3);
  });
  return out;
}

/** Each head's class of each scene: [head][scene]. */
export function demoLabels(scenes: readonly DemoScene[]): Int32Array[] {
  return DEMO_ATTRIBUTE_HEADS.map((head) => Int32Array.from(scenes, (scene) => head.label(scene)));
}

/** The trainable weights by Layers name (`conv1/kernel`), in the model's order. */
export type NamedVariables = { name: string; layer: string; variable: tf.Variable }[];

export function variablesOf(model: tf.LayersModel): NamedVariables {
  const out: NamedVariables = [];
  for (const layer of model.layers) {
    const values = layer.getWeights();
    layer.weights.forEach((w, k) => out.push({ name: w.originalName, layer: layer.name, variable: tf.variable(values[k], true, `${w.originalName}_train`) }));
  }
  return out;
}

/** Copies trained values back into the Layers model (which is what gets saved and loaded). */
export function assignVariables(model: tf.LayersModel, variables: NamedVariables): void {
  for (const layer of model.layers) {
    const own = variables.filter((v) => v.layer === layer.name);
    if (own.length) layer.setWeights(own.map((v) => v.variable));
  }
}

/**
 * The 3×3 kernel's gradient, dW[ky,kx,c,f] = Σ over batch and pixels of xpad[b, y+ky, x+kx, c] · dy[b,y,x,f],
 * as one 'valid' convolution of the padded input (channels as its batch, the batch as its channels) with dy
 * as an H×W kernel: [C, H+2, W+2, B] ⊛ [H, W, B, F] → [C, 3, 3, F] → [3, 3, C, F].
 */
function conv3x3KernelGrad(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const grad = tf.conv2d(tf.transpose(padded, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid');
  return tf.transpose(grad, [1, 2, 0, 3]);
}

/**
 * 3×3 'same' convolution, stride 1, every pass a tf.conv2d (the one convolution kernel wasm runs fast): the
 * forward, the input gradient, and the kernel gradient (conv3x3KernelGrad; wasm has no kernel for it).
 */
const conv3x3 = tf.customGrad((x, kernel, save) => {
  const input = x as tf.Tensor4D;
  const filter = kernel as tf.Tensor4D;
  (save as tf.GradSaveFunc)([input, filter]);
  return {
    value: tf.conv2d(input, filter, 1, 'same'),
    gradFunc: (dy, saved) => {
      const [savedInput, savedFilter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dyImage = dy as tf.Tensor4D;
      // dx: the 'same' convolution of dy with the kernel turned 180° and its in/out channels swapped
      // (Conv2D: wasm's Conv2DBackpropInput is several times slower).
      const turned = tf.transpose(tf.reverse(savedFilter, [0, 1]), [0, 1, 3, 2]);
      return [tf.conv2d(dyImage, turned, 1, 'same'), conv3x3KernelGrad(savedInput, dyImage)];
    },
  };
}) as (x: tf.Tensor4D, kernel: tf.Tensor) => tf.Tensor4D;

/** The first convolution: its input is the picture, which needs no gradient (the largest one to skip). */
function conv3x3OfInput(input: tf.Tensor4D, kernel: tf.Tensor): tf.Tensor4D {
  const op = tf.customGrad((k, save) => {
    // Saved, so the input outlives the forward pass's tidy scope until the gradient is taken.
    (save as tf.GradSaveFunc)([input]);
    return {
      value: tf.conv2d(input, k as tf.Tensor4D, 1, 'same'),
      gradFunc: (dy, saved) => conv3x3KernelGrad(saved[0] as tf.Tensor4D, dy as tf.Tensor4D),
    };
  }) as (k: tf.Tensor) => tf.Tensor4D;
  return op(kernel);
}

function conv3x3Relu(x: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor, first: boolean): tf.Tensor4D {
  return tf.relu(tf.add(first ? conv3x3OfInput(x, kernel) : conv3x3(x, kernel), bias)) as tf.Tensor4D;
}

/**
 * The training pass: input [B,64,64,3] RGB 0..255 → { hidden [B,128], logits of each head }. Same weights and
 * the same numbers as the Layers model's `hidden` layer and the heads before their softmax.
 */
export function demoForward(variables: NamedVariables, rgb: tf.Tensor4D): { hidden: tf.Tensor2D; logits: tf.Tensor2D[] } {
  const get = (name: string): tf.Variable => {
    const found = variables.find((v) => v.name === name);
    if (!found) throw new Error(`demo backbone: no weight ${name}`);
    return found.variable;
  };
  let x = preprocessTf(rgb);
  DEMO_CONV_FILTERS.forEach((_, i) => {
    x = tf.maxPool(conv3x3Relu(x, get(`conv${i + 1}/kernel`), get(`conv${i + 1}/bias`), i === 0), 2, 2, 'valid');
  });
  const flat = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  const hidden = tf.relu(tf.add(tf.matMul(flat, get(`${DEMO_HIDDEN_LAYER}/kernel`)), get(`${DEMO_HIDDEN_LAYER}/bias`))) as tf.Tensor2D;
  const logits = DEMO_ATTRIBUTE_HEADS.map((head) => tf.add(tf.matMul(hidden, get(`${head.name}/kernel`)), get(`${head.name}/bias`)) as tf.Tensor2D);
  return { hidden, logits };
}

export interface PretrainOptions {
  seed: number;
  /** Passes; each draws `scenesPerEpoch` new scenes (seeded by seed and epoch), so no picture is seen twice. */
  epochs: number;
  scenesPerEpoch: number;
  batchSize: number;
  learningRate: number;
  /**
   * Called after every epoch with the mean loss; `classify` runs the weights as they are now (for an accuracy
   * along the way; it must not be kept past the call).
   */
  onEpoch?: (report: { epoch: number; meanLoss: number; durationMs: number; classify: (rgb: tf.Tensor4D) => tf.Tensor2D }) => void | Promise<void>;
}

/** Seeds of the scenes the pretraining draws: far from the small seeds the demo dataset and the tests use. */
export const PRETRAIN_SCENE_SEED_BASE = 1_000_000;

/** Trains a freshly initialised demo backbone; returns the Layers model holding the trained weights. */
export async function pretrainDemoBackbone(options: PretrainOptions): Promise<tf.LayersModel> {
  const model = buildDemoBackbone({ seed: options.seed });
  const variables = variablesOf(model);
  const optimizer = tf.train.adam(options.learningRate);
  const trainable = variables.map((v) => v.variable);
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const started = performance.now();
      // Learning rate: constant, then halved twice over the last third (a cheap schedule that settles the heads).
      const third = Math.floor((options.epochs * 2) / 3);
      (optimizer as unknown as { learningRate: number }).learningRate =
        options.learningRate * (epoch < third ? 1 : epoch < options.epochs - 1 ? 0.3 : 0.1);
      const scenes = generateDemoScenes({ images: options.scenesPerEpoch, seed: PRETRAIN_SCENE_SEED_BASE + options.seed * 1000 + epoch });
      let lossTotal = 0;
      let batches = 0;
      for (let start = 0; start < scenes.length; start += options.batchSize) {
        const batch = scenes.slice(start, start + options.batchSize);
        const pixels = demoPixels(batch);
        const labels = demoLabels(batch);
        const cost = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const input = tf.tensor4d(pixels, [batch.length, DEMO_BACKBONE_INPUT, DEMO_BACKBONE_INPUT, 3]);
              const { logits } = demoForward(variables, input);
              const losses = logits.map((l, h) =>
                tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels[h], 'int32'), DEMO_ATTRIBUTE_HEADS[h].classes.length), l),
              );
              return tf.addN(losses) as tf.Scalar;
            }),
          true,
          trainable,
        );
        lossTotal += (await cost!.data())[0];
        cost!.dispose();
        batches++;
      }
      const classify = (rgb: tf.Tensor4D): tf.Tensor2D =>
        tf.tidy(() => tf.concat(demoForward(variables, rgb).logits.map((l) => tf.softmax(l)), 1) as tf.Tensor2D);
      await options.onEpoch?.({ epoch: epoch + 1, meanLoss: lossTotal / batches, durationMs: performance.now() - started, classify });
    }
    assignVariables(model, variables);
    return model;
  } finally {
    optimizer.dispose();
    tf.dispose(trainable);
  }
}

export interface AttributeAccuracy {
  /** Share of (scene, head) predictions that are right: the mean over heads. */
  overall: number;
  /** Head name → share of scenes it gets right. */
  byHead: Record<string, number>;
  /** Share of scenes with every head right. */
  allRight: number;
  scenes: number;
}

/**
 * Accuracy of `classify` (the Layers model, as loaded for extraction) on the scenes: `classify` takes
 * [B,64,64,3] RGB 0..255 and returns the concatenated head probabilities.
 */
export async function attributeAccuracy(
  classify: (rgb: tf.Tensor4D) => tf.Tensor2D,
  scenes: readonly DemoScene[],
  batchSize = 64,
): Promise<AttributeAccuracy> {
  const right = new Array(DEMO_ATTRIBUTE_HEADS.length).fill(0);
  let allRight = 0;
  for (let start = 0; start < scenes.length; start += batchSize) {
    const batch = scenes.slice(start, start + batchSize);
    const input = tf.tensor4d(demoPixels(batch), [batch.length, DEMO_BACKBONE_INPUT, DEMO_BACKBONE_INPUT, 3]);
    const probabilities = classify(input);
    const predicted = decodeAttributes((await probabilities.data()) as Float32Array, batch.length);
    input.dispose();
    probabilities.dispose();
    const labels = demoLabels(batch);
    predicted.forEach((row, s) => {
      let all = true;
      row.forEach((cls, h) => {
        if (cls === labels[h][s]) right[h]++;
        else all = false;
      });
      if (all) allRight++;
    });
  }
  const byHead = Object.fromEntries(DEMO_ATTRIBUTE_HEADS.map((head, h) => [head.name, right[h] / scenes.length]));
  const overall = right.reduce((a, b) => a + b, 0) / (scenes.length * DEMO_ATTRIBUTE_HEADS.length);
  return { overall, byHead, allRight: allRight / scenes.length, scenes: scenes.length };
}
