/**
 * Filling a Keras-named backbone (VGG16, MobileNet v1; src/model/backbones) from a Keras file, layer by layer.
 *
 * Matching: a model layer takes the file's layer of the same Keras name; within it, each weight is found by
 * its name (`kernel`, `moving_mean`, … the last part of `block1_conv1/kernel:0`) or, when the file's names do
 * not say (`block1_conv1_W_1:0` in Keras 1's ImageNet files), by its position, which is how Keras itself
 * loads these files. Every shape is checked from the file's index before a single value is read; then each
 * layer's values are read, set and released before the next layer's, so the file's 528 MB are never in
 * memory at once. The content identity (weightsId) is a SHA-256 over the names, shapes and values taken.
 */
import * as tf from '@tensorflow/tfjs';
import { WeightsError, type WeightProblem } from '../backbones/loadWeights.ts';
import type { KerasFileIndex, KerasLayerWeights, KerasWeight, KerasWeightsFile } from './kerasFile.ts';

export type KerasNetwork = 'vgg16' | 'mobilenet';

/** The last part of a Keras weight name without its `:0` (`lstm/lstm_cell/kernel:0` → `kernel`). */
export function weightBaseName(name: string): string {
  return name.replace(/:\d+$/, '').split('/').pop() ?? name;
}

/** The file's weights for one model layer, in the model's order, or the problems that stop it. */
function matchLayer(layer: tf.layers.Layer, found: KerasLayerWeights | undefined): { weights: KerasWeight[]; problems: WeightProblem[] } {
  const expected = layer.weights.map((v) => ({ name: weightBaseName(v.originalName), shape: v.shape as number[] }));
  if (!found) return { weights: [], problems: expected.map((e) => ({ layer: layer.name, weight: e.name, expected: e.shape, got: null })) };
  const byName = new Map(found.weights.map((w) => [weightBaseName(w.name), w]));
  const namesSay = expected.every((e) => byName.has(e.name));
  const weights: KerasWeight[] = [];
  const problems: WeightProblem[] = [];
  expected.forEach((e, i) => {
    const weight = namesSay ? byName.get(e.name) : found.weights.length === expected.length ? found.weights[i] : undefined;
    if (!weight) problems.push({ layer: layer.name, weight: e.name, expected: e.shape, got: null });
    else if (!tf.util.arraysEqual(weight.shape, e.shape)) problems.push({ layer: layer.name, weight: e.name, expected: e.shape, got: weight.shape });
    else weights.push(weight);
  });
  return { weights, problems };
}

/** Keras' own name of a MobileNet v1 ImageNet file: alpha 0.25 → `2_5`, 0.5 → `5_0`, 0.75 → `7_5`, 1.0 → `1_0`. */
export function mobilenetFileName(alpha: number, size: number): string {
  const text = alpha === 1 ? '1_0' : alpha === 0.75 ? '7_5' : alpha === 0.5 ? '5_0' : alpha === 0.25 ? '2_5' : String(alpha).replace('.', '_');
  return `mobilenet_${text}_${size}_tf.h5`;
}

/**
 * Refuses a file that has the network's convolutions but not its top (Keras' `_notop` files), from the index
 * alone: loadBackbone calls it before building the network, so a 528 MB VGG16 is not allocated for nothing.
 */
export function refuseWithoutTop(index: KerasFileIndex, options: KerasAssignOptions): void {
  const names = new Set(index.layers.filter((l) => l.weights.length > 0).map((l) => l.layer));
  const message = notopMessage(index, options.network, options.label, names, options.inputSize, options.alpha ?? 1);
  if (message) throw new WeightsError(message);
}

function notopMessage(index: KerasFileIndex, network: KerasNetwork, label: string, names: Set<string>, inputSize: number, alpha: number): string | null {
  if (network === 'vgg16' && names.has('block5_conv3') && !names.has('fc1') && !names.has('fc2')) {
    return (
      `${index.file} is VGG16 without its top (Keras' _notop file: no fc1, fc2 or predictions layer), but the studio's VGG16 ` +
      `features are fc2's output: use vgg16_weights_tf_dim_ordering_tf_kernels.h5 (528 MB, the same name without _notop)`
    );
  }
  if (network === 'mobilenet' && names.has('conv_pw_13') && !names.has('conv_preds')) {
    return `${index.file} is ${label} without its top (Keras' _no_top file: no conv_preds layer): use ${mobilenetFileName(alpha, inputSize)}, the file with the classifier`;
  }
  return null;
}

function describeProblems(index: KerasFileIndex, label: string, problems: WeightProblem[], unusedLayers: string[]): string {
  const lines = problems.slice(0, 6).map((p) =>
    p.got === null
      ? `layer ${p.layer}: the file has no ${p.weight} weight for it (expected shape [${p.expected.join(',')}])`
      : `layer ${p.layer}: weight ${p.weight} has shape [${p.got.join(',')}] in the file, expected [${p.expected.join(',')}]`,
  );
  if (problems.length > 6) lines.push(`… and ${problems.length - 6} more`);
  if (unusedLayers.length > 0) lines.push(`the file also has layers no ${label} layer takes: ${unusedLayers.slice(0, 6).join(', ')}${unusedLayers.length > 6 ? ', …' : ''}`);
  return `the weights in ${index.file} do not fit ${label}:\n  ${lines.join(';\n  ')}`;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

const HASH_SLAB_VALUES = 4 << 20;

export interface KerasAssignOptions {
  network: KerasNetwork;
  /** How messages name the network (`VGG16`, `MobileNet v1 (alpha 0.25)`). */
  label: string;
  inputSize: number;
  alpha?: number;
}

/**
 * Sets every weight of `model` from the Keras file, or throws a WeightsError (and sets nothing) when a layer
 * is missing or a shape differs.
 * @returns the content identity `sha256:<hex>` of the weights taken
 */
export async function assignKerasWeights(model: tf.LayersModel, file: KerasWeightsFile, options: KerasAssignOptions): Promise<string> {
  const { index } = file;
  const fileLayers = new Map(index.layers.map((l) => [l.layer, l]));
  const plan: { layer: tf.layers.Layer; weights: KerasWeight[] }[] = [];
  const problems: WeightProblem[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const match = matchLayer(layer, fileLayers.get(layer.name));
    problems.push(...match.problems);
    plan.push({ layer, weights: match.weights });
  }
  if (problems.length > 0) {
    const names = new Set(index.layers.filter((l) => l.weights.length > 0).map((l) => l.layer));
    const notop = notopMessage(index, options.network, options.label, names, options.inputSize, options.alpha ?? 1);
    if (notop) throw new WeightsError(notop, problems);
    const taken = new Set(plan.map((p) => p.layer.name));
    const unused = [...names].filter((n) => !taken.has(n));
    if (plan.every((p) => !names.has(p.layer.name))) {
      const expected = plan.map((p) => p.layer.name);
      throw new WeightsError(
        `the weights in ${index.file} are not ${options.label} weights: none of its layers (${expected.slice(0, 6).join(', ')}, …) is in the file, ` +
          `which has ${unused.slice(0, 6).join(', ') || 'no layer with weights'}${unused.length > 6 ? ', …' : ''}`,
        problems,
      );
    }
    throw new WeightsError(describeProblems(index, options.label, problems, unused), problems);
  }
  const specs = plan.flatMap(({ layer, weights }) => weights.map((w, i) => [layer.name, layer.weights[i].originalName, w.shape]));
  const digests: Uint8Array[] = [await sha256(new TextEncoder().encode(JSON.stringify(specs)))];
  for (const { layer, weights } of plan) {
    const tensors: tf.Tensor[] = [];
    try {
      for (const weight of weights) {
        const values = await file.read(weight);
        for (let at = 0; at < values.length; at += HASH_SLAB_VALUES) {
          const slab = values.subarray(at, Math.min(values.length, at + HASH_SLAB_VALUES));
          digests.push(await sha256(new Uint8Array(slab.buffer, slab.byteOffset, slab.byteLength)));
        }
        tensors.push(tf.tensor(values, weight.shape, 'float32'));
      }
      layer.setWeights(tensors);
    } finally {
      // The layer's variables now hold the values; these handles can go.
      tf.dispose(tensors);
    }
  }
  const all = new Uint8Array(digests.reduce((n, d) => n + d.length, 0));
  let offset = 0;
  for (const d of digests) {
    all.set(d, offset);
    offset += d.length;
  }
  const hex = Array.from(await sha256(all), (b) => b.toString(16).padStart(2, '0')).join('');
  return `sha256:${hex}`;
}

/** MobileNet's width from the file: conv1 has 32·alpha filters. */
export function kerasMobilenetAlpha(index: KerasFileIndex): number {
  const conv1 = index.layers.find((l) => l.layer === 'conv1')?.weights[0];
  if (!conv1 || conv1.shape.length !== 4) {
    throw new WeightsError(`the weights in ${index.file} have no conv1 kernel, so they are not a Keras MobileNet v1`);
  }
  return conv1.shape[3] / 32;
}

/** MobileNet's classes from the file's conv_preds (1000 when the file has none). */
export function kerasMobilenetClasses(index: KerasFileIndex): number {
  const preds = index.layers.find((l) => l.layer === 'conv_preds');
  const kernel = preds?.weights.find((w) => w.shape.length === 4);
  return kernel ? kernel.shape[3] : 1000;
}
