/**
 * Weights for the backbones from a TensorFlow.js Layers model folder (model.json + weight shards, what
 * `tensorflowjs_converter --input_format keras` writes), matched to our Keras-named layers by weight name.
 * Only the weights are taken from the folder: the topology is ours, so a folder of the wrong network fails
 * with a message naming the layer, the expected shape and what the folder holds instead.
 *
 * Making the VGG16 folder (for the README), with Python and Keras 2 (TensorFlow ≤ 2.15):
 *   1. pip install "tensorflow==2.15.*" tensorflowjs
 *   2. python -c "from tensorflow.keras.applications import VGG16; VGG16(weights='imagenet').save('vgg16.h5')"
 *      (downloads the 528 MB ImageNet weights once)
 *   3. tensorflowjs_converter --input_format keras vgg16.h5 vgg16_tfjs
 *      → vgg16_tfjs/model.json + group1-shard1of133 … (4 MB each; `--quantize_float16` halves them,
 *        features then differ slightly and get another weights identity)
 *   4. Node: `caption-studio extract <dataset> --backbone vgg16 --weights vgg16_tfjs --out vgg16.features`;
 *      browser: pick the folder, or model.json and every shard file together. MobileNet v1 folders are made the same way
 *      from `keras.applications.MobileNet(alpha=…, weights='imagenet')`.
 * Weight names are matched exactly (`block1_conv1/kernel`), or under a prefix (`vgg16/block1_conv1/kernel`),
 * `:0` suffixes ignored; a converter that names weights otherwise gets an error listing the names it wrote.
 */
import * as tf from '@tensorflow/tfjs';
import type { KerasWeightsInput } from '../keras/weightsInput.ts';
import type { WeightsLocation, WeightsSource } from './types.ts';

/** Any tfjs IOHandler (Node folders come from loadWeightsNode.ts) plus how to report it. */
export interface HandlerWeights {
  kind: 'handler';
  handler: tf.io.IOHandler;
  source: Exclude<WeightsSource, 'random'>;
}

/** A Keras .h5/.keras file (src/model/keras) is read layer by layer by loadBackbone, never through readWeights. */
export type WeightsInput = WeightsLocation | HandlerWeights | KerasWeightsInput;

export interface LoadedWeights {
  /** Weight name (as in the manifest, `:0` suffixes removed) → tensor. The caller disposes them. */
  tensors: tf.NamedTensorMap;
  source: Exclude<WeightsSource, 'random'>;
  /** `sha256:<hex>` of the manifest's names/shapes and the weight bytes. */
  weightsId: string;
}

export class WeightsError extends Error {
  constructor(
    message: string,
    readonly problems: WeightProblem[] = [],
  ) {
    super(message);
    this.name = 'WeightsError';
  }
}

export interface WeightProblem {
  layer: string;
  weight: string;
  expected: number[];
  /** Shape found in the folder, or null when the folder has no weight of that name. */
  got: number[] | null;
}

function describeLocation(location: WeightsInput): Exclude<WeightsSource, 'random'> {
  switch (location.kind) {
    case 'handler':
    case 'keras':
      return location.source;
    case 'url':
      return { kind: 'url', location: location.url };
    case 'path':
      return { kind: 'path', location: location.path };
    case 'files': {
      const json = location.files.find((f) => f.name === 'model.json') ?? location.files.find((f) => f.name.endsWith('.json'));
      return { kind: 'files', location: `${json?.name ?? '(no model.json)'} + ${location.files.length - 1} other file(s)` };
    }
    case 'random':
      throw new Error('random weights have no location');
  }
}

/** The files a weightsManifest names: just their base names, in manifest order (`./group1-shard1of1` → `group1-shard1of1`). */
function manifestFileNames(modelJson: tf.io.ModelJSON): string[] {
  return (modelJson.weightsManifest ?? []).flatMap((group) => group.paths.map((path) => path.split('/').pop() ?? path));
}

/**
 * Picked files (a file set or every file of a picked folder) as a tfjs IOHandler. The weight files are the
 * ones model.json's weightsManifest names, whatever their extension: tensorflowjs_converter names its
 * shards `group1-shard1of1` with no extension, so filtering by `.bin` would drop them.
 */
function filesHandler(files: File[]): tf.io.IOHandler {
  return {
    async load() {
      const named = files.filter((f) => f.name === 'model.json');
      const candidates = named.length ? named : files.filter((f) => f.name.endsWith('.json'));
      if (candidates.length !== 1) {
        throw new WeightsError(
          candidates.length === 0
            ? `none of the ${files.length} files you picked is a model.json: pick model.json together with the weight files it names`
            : `pick one model.json with its weight files (got ${candidates.length} .json files: ${candidates.map((f) => f.name).join(', ')})`,
        );
      }
      const jsonFile = candidates[0];
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await jsonFile.text()) as tf.io.ModelJSON;
      } catch (error) {
        throw new WeightsError(`${jsonFile.name} is not JSON: ${(error as Error).message}`);
      }
      if (!modelJson.weightsManifest) {
        throw new WeightsError(`${jsonFile.name} has no weightsManifest (is it a TensorFlow.js Layers model folder?)`);
      }
      const byName = new Map(files.map((f) => [f.name, f]));
      const shards = manifestFileNames(modelJson).map((name) => {
        const file = byName.get(name);
        if (!file) throw new WeightsError(`${jsonFile.name} names ${name}, which is not among the files you picked`);
        return file;
      });
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const buffers = await Promise.all(shards.map((file) => file.arrayBuffer()));
        return [manifest.flatMap((group) => group.weights), tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

function toHandler(location: WeightsInput): tf.io.IOHandler {
  switch (location.kind) {
    case 'handler':
      return location.handler;
    case 'url':
      return tf.io.http(location.url);
    case 'files':
      return filesHandler(location.files);
    case 'path':
      throw new WeightsError('a weights path needs Node: resolve it with nodeWeights() from loadWeightsNode.ts');
    case 'keras':
      throw new Error('a Keras file is read by loadBackbone layer by layer, not as a tfjs folder');
    case 'random':
      throw new Error('random weights have no handler');
  }
}

/** Reads and decodes every weight of a Layers model folder. */
export async function readWeights(location: WeightsInput): Promise<LoadedWeights> {
  const source = describeLocation(location);
  const where = `${source.kind} ${source.location}`;
  let artifacts: tf.io.ModelArtifacts;
  try {
    const handler = toHandler(location);
    if (!handler.load) throw new WeightsError(`${where}: this handler cannot load`);
    artifacts = await handler.load();
  } catch (error) {
    if (error instanceof WeightsError) throw error;
    throw new WeightsError(`cannot read the weights folder (${where}): ${(error as Error).message}`);
  }
  if (!artifacts.weightSpecs || !artifacts.weightData) {
    throw new WeightsError(`${where}: model.json has no weightsManifest (is it a TensorFlow.js Layers model folder?)`);
  }
  const buffer = tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
  const specsBytes = new TextEncoder().encode(JSON.stringify(artifacts.weightSpecs.map((s) => [s.name, s.shape, s.dtype])));
  const [specsHash, dataHash] = await Promise.all([
    globalThis.crypto.subtle.digest('SHA-256', specsBytes),
    globalThis.crypto.subtle.digest('SHA-256', buffer),
  ]);
  const combined = await globalThis.crypto.subtle.digest(
    'SHA-256',
    new Uint8Array([...new Uint8Array(specsHash), ...new Uint8Array(dataHash)]),
  );
  let decoded: tf.NamedTensorMap;
  try {
    decoded = tf.io.decodeWeights(buffer, artifacts.weightSpecs);
  } catch (error) {
    throw new WeightsError(`${where}: weight data does not match model.json's manifest: ${(error as Error).message}`);
  }
  const tensors: tf.NamedTensorMap = {};
  for (const [name, tensor] of Object.entries(decoded)) tensors[name.replace(/:\d+$/, '')] = tensor;
  return { tensors, source, weightsId: `sha256:${bytesToHex(new Uint8Array(combined))}` };
}

/** Finds `layer/weight` in the folder: exact, or under a model-name prefix (`vgg16/block1_conv1/kernel`). */
function findWeight(tensors: tf.NamedTensorMap, name: string): string | undefined {
  if (name in tensors) return name;
  return Object.keys(tensors).find((key) => key.endsWith(`/${name}`));
}

/**
 * Copies the folder's weights into `model` by name. Every weight of the model must be present with its exact
 * shape; otherwise nothing is assigned and a WeightsError lists each problem (first ones in the message).
 */
export function assignWeights(model: tf.LayersModel, loaded: LoadedWeights, networkLabel: string): void {
  const problems: WeightProblem[] = [];
  const plan: { layer: tf.layers.Layer; values: tf.Tensor[] }[] = [];
  const used = new Set<string>();
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values: tf.Tensor[] = [];
    for (const variable of layer.weights) {
      const expected = variable.shape as number[];
      const key = findWeight(loaded.tensors, variable.originalName);
      const tensor = key === undefined ? undefined : loaded.tensors[key];
      if (key !== undefined) used.add(key);
      if (!tensor) {
        problems.push({ layer: layer.name, weight: variable.originalName, expected, got: null });
      } else if (!tf.util.arraysEqual(tensor.shape, expected)) {
        problems.push({ layer: layer.name, weight: variable.originalName, expected, got: tensor.shape });
      } else {
        values.push(tensor);
      }
    }
    plan.push({ layer, values });
  }
  if (problems.length > 0) {
    const unused = Object.keys(loaded.tensors).filter((k) => !used.has(k));
    const sample = (names: string[]): string => `${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}`;
    const where = `${loaded.source.kind} ${loaded.source.location}`;
    const expectedCount = plan.reduce((sum, p) => sum + p.layer.weights.length, 0);
    if (problems.length === expectedCount && problems.every((p) => p.got === null)) {
      throw new WeightsError(
        `the weights in ${where} are not ${networkLabel} weights: none of its ${expectedCount} weights ` +
          `(${sample(problems.map((p) => p.weight))}) is there; the folder has ${sample(unused)}`,
        problems,
      );
    }
    const lines = problems.slice(0, 6).map((p) =>
      p.got === null
        ? `layer ${p.layer}: no weight named ${p.weight} in the folder (expected shape [${p.expected.join(',')}])`
        : `layer ${p.layer}: weight ${p.weight} has shape [${p.got.join(',')}], expected [${p.expected.join(',')}]`,
    );
    if (problems.length > 6) lines.push(`… and ${problems.length - 6} more`);
    if (unused.length > 0) lines.push(`the folder also has weights no ${networkLabel} layer takes: ${sample(unused)}`);
    throw new WeightsError(`the weights in ${where} do not fit ${networkLabel}:\n  ${lines.join(';\n  ')}`, problems);
  }
  for (const { layer, values } of plan) layer.setWeights(values);
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function disposeWeights(loaded: LoadedWeights): void {
  tf.dispose(Object.values(loaded.tensors));
}
