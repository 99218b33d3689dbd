/**
 * Saving and loading caption models as files (a Folder: a Node directory, picked browser files, memory,
 * or IndexedDB through a CheckpointStore).
 *
 * Our format, `caption-studio-caption-model` v1, is tfjs-shaped so tools that read a weightsManifest can:
 *   model.json      { format, version, config, meta, weightsManifest: [{ paths: ['weights.bin'], weights }] }
 *   weights.bin     float32 little-endian, weights in paramSpecs order, named `<keras layer>/<weight>`
 *   tokenizer.json  the Keras `tokenizer.to_json()` string
 *
 * A notebook model converted with `tensorflowjs_converter --input_format keras model.h5 out/` loads too:
 * its weights are matched by Keras layer name (dense, embedding, lstm, dense_1, dense_2), or, when the
 * notebook ran more than once and Keras numbered the layers differently, by their place in the topology.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../core/errors.ts';
import type { Folder } from '../core/data/types.ts';
import { paramSpecs, type CaptionModelConfig, type ParamSpec } from './captionModel.ts';

export const MODEL_FORMAT = 'caption-studio-caption-model';
export const MODEL_VERSION = 1;

/** What else a saved model carries (protocol, backbone, training progress); free-form but JSON. */
export interface ModelMeta {
  protocol?: 'kaggle' | 'standard';
  /** FeatureIdentity of the features it was trained on (backbone, weights). */
  features?: unknown;
  epochsTrained?: number;
  [key: string]: unknown;
}

export interface LoadedCaptionModel {
  config: CaptionModelConfig;
  /** paramSpecs order */
  weights: Float32Array[];
  tokenizerJson: string | null;
  meta: ModelMeta;
  /** 'caption-studio' for our own folders, 'keras' for a converted notebook model. */
  source: 'caption-studio' | 'keras';
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

/** The files of a saved model. */
export function encodeCaptionModel(
  config: CaptionModelConfig,
  weights: Float32Array[],
  tokenizerJson: string | null,
  meta: ModelMeta = {},
): Record<string, Uint8Array | string> {
  const specs = paramSpecs(config);
  const total = weights.reduce((sum, w) => sum + w.length, 0);
  const data = new Float32Array(total);
  let offset = 0;
  weights.forEach((w) => {
    data.set(w, offset);
    offset += w.length;
  });
  const modelJson = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    config,
    meta,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs.map((s) => ({ name: s.name, shape: s.shape, dtype: 'float32' })) }],
  };
  const files: Record<string, Uint8Array | string> = {
    'model.json': JSON.stringify(modelJson, null, 1),
    'weights.bin': new Uint8Array(data.buffer),
  };
  if (tokenizerJson !== null) files['tokenizer.json'] = tokenizerJson;
  return files;
}

/** Reads a model folder (ours or a converted Keras model) and checks every weight against its layer. */
export async function loadCaptionModel(folder: Folder, options: { maxLength?: number } = {}): Promise<LoadedCaptionModel> {
  const listing = await folder.list();
  const entries = new Set(listing.map((e) => e.path));
  const fileBytes = new Map(listing.map((e) => [e.path, e.bytes]));
  if (!entries.has('model.json')) {
    throw new UserError(`${folder.name}: no model.json here (a caption model folder holds model.json, its weight files and tokenizer.json)`);
  }
  let modelJson: Record<string, unknown>;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(await folder.read('model.json')));
  } catch {
    throw new UserError('model.json is not valid JSON', { file: 'model.json' });
  }
  const groups = modelJson.weightsManifest as ManifestGroup[] | undefined;
  if (!Array.isArray(groups)) throw new UserError('model.json has no weightsManifest', { file: 'model.json' });
  if (modelJson.format === MODEL_FORMAT) checkConfig(modelJson.config);
  checkManifest(groups, fileBytes, folder.name);
  const tensors = await readManifestWeights(folder, groups, entries);
  const tokenizerJson = entries.has('tokenizer.json') ? new TextDecoder().decode(await folder.read('tokenizer.json')) : null;
  try {
    if (modelJson.format === MODEL_FORMAT) {
      if (modelJson.version !== MODEL_VERSION) throw new UserError(`model.json: version ${String(modelJson.version)} is not supported`, { file: 'model.json' });
      const config = modelJson.config as CaptionModelConfig;
      const weights = paramSpecs(config).map((spec) => takeWeight(tensors, spec.name, spec));
      return { config, weights, tokenizerJson, meta: (modelJson.meta as ModelMeta) ?? {}, source: 'caption-studio' };
    }
    return { ...kerasModel(modelJson, tensors, options.maxLength), tokenizerJson, meta: {}, source: 'keras' };
  } finally {
    Object.values(tensors).forEach((t) => t.dispose());
  }
}

/** Bounds of a caption model's config (our format): far above any real one, far below what would hang or exhaust. */
const CONFIG_BOUNDS: Record<keyof Omit<CaptionModelConfig, 'dropout'>, number> = {
  vocabSize: 1_000_000,
  maxLength: 1000,
  featureDim: 65_536,
  units: 16_384,
  embedDim: 16_384,
};

function checkConfig(config: unknown): void {
  if (!config || typeof config !== 'object') throw new UserError('model.json has no config object', { file: 'model.json' });
  for (const [key, max] of Object.entries(CONFIG_BOUNDS)) {
    const value = (config as Record<string, unknown>)[key];
    if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) {
      throw new UserError(`model.json: config.${key} is ${JSON.stringify(value)}; a caption model has a whole number from 1 to ${max} there`, { file: 'model.json' });
    }
  }
}

/** Bytes a manifest entry takes, or the reason its shape cannot be a tensor's. */
function entryBytes(entry: ManifestEntry): number | string {
  if (!entry || typeof entry.name !== 'string') return 'a weight without a name';
  if (!Array.isArray(entry.shape)) return `weight ${entry.name} has no shape`;
  const bad = entry.shape.find((d) => !Number.isSafeInteger(d) || d < 0);
  if (bad !== undefined) return `weight ${entry.name} declares shape ${JSON.stringify(entry.shape)}: ${JSON.stringify(bad)} is not a size`;
  return entry.shape.reduce((a, b) => a * b, 1) * bytesPer(entry);
}

/**
 * Checks every manifest entry against the weight files' sizes as the folder lists them, before any of them
 * is read: an absurd shape ([1e9, 1e9]) or a manifest that needs more bytes than the files hold is refused
 * here, naming the weight, its shape, the bytes it needs and the bytes there are.
 */
function checkManifest(groups: ManifestGroup[], fileBytes: Map<string, number>, folderName: string): void {
  for (const group of groups) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new UserError('model.json: a weightsManifest group lacks its paths or weights lists', { file: 'model.json' });
    }
    let available = 0;
    for (const path of group.paths) {
      const size = fileBytes.get(path);
      if (size === undefined) throw new UserError(`model.json names the weight file ${path}, which is not in ${folderName}`, { file: 'model.json' });
      available += size;
    }
    let needed = 0;
    for (const entry of group.weights) {
      const bytes = entryBytes(entry);
      if (typeof bytes === 'string') throw new UserError(`model.json: ${bytes}`, { file: 'model.json' });
      needed += bytes;
      if (needed > available) {
        throw new UserError(
          `model.json: weight ${entry.name} of shape [${entry.shape.join(', ')}] (${bytes} bytes) takes the manifest to ${needed} bytes, ` +
            `more than the ${available} bytes ${group.paths.join(', ')} hold${group.paths.length === 1 ? 's' : ''}: the manifest does not describe these files`,
          { file: 'model.json' },
        );
      }
    }
  }
}

async function readManifestWeights(folder: Folder, groups: ManifestGroup[], entries: Set<string>): Promise<tf.NamedTensorMap> {
  const map: tf.NamedTensorMap = {};
  for (const group of groups) {
    const parts: Uint8Array[] = [];
    for (const path of group.paths) {
      if (!entries.has(path)) throw new UserError(`model.json names the weight file ${path}, which is not in ${folder.name}`, { file: 'model.json' });
      parts.push(await folder.read(path));
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    const expected = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * bytesPer(w), 0);
    if (bytes.length < expected) {
      throw new UserError(`weight files ${group.paths.join(', ')} hold ${bytes.length} bytes, the manifest needs ${expected}`, { file: group.paths[0] });
    }
    Object.assign(map, tf.io.decodeWeights(bytes.buffer, group.weights as tf.io.WeightsManifestEntry[]));
  }
  return map;
}

function bytesPer(entry: ManifestEntry): number {
  const q = entry.quantization as { dtype?: string } | undefined;
  if (q?.dtype === 'uint8') return 1;
  if (q?.dtype === 'uint16' || q?.dtype === 'float16') return 2;
  return 4;
}

function takeWeight(tensors: tf.NamedTensorMap, name: string | undefined, spec: ParamSpec, file = 'model.json'): Float32Array {
  const tensor = name === undefined ? undefined : tensors[name];
  if (!tensor) {
    throw new UserError(`layer ${spec.layer}: weight ${spec.weight} not found (expected shape [${spec.shape}]); the file has ${Object.keys(tensors).join(', ')}`, { file });
  }
  if (tensor.shape.join(',') !== spec.shape.join(',')) {
    throw new UserError(`layer ${spec.layer}: weight ${spec.weight} has shape [${tensor.shape}], expected [${spec.shape}]`, { file });
  }
  return tensor.dataSync() as Float32Array;
}

interface KerasLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown;
}

/** Names of the layers feeding a layer (Keras 2 nested lists or Keras 3 keras_history). */
function inboundNames(layer: KerasLayer): string[] {
  const names: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      if (typeof node[0] === 'string' && typeof node[1] === 'number') names.push(node[0]);
      else node.forEach(walk);
    } else if (node && typeof node === 'object') {
      const history = (node as { keras_history?: unknown[] }).keras_history;
      if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
      else Object.values(node).forEach(walk);
    }
  };
  walk(layer.inbound_nodes);
  return names;
}

function layerName(layer: KerasLayer): string {
  return (layer.name ?? layer.config.name) as string;
}

/**
 * Maps our layer roles to the Keras model's layer names, and reads the config off the weights. Also used
 * for Keras .h5/.keras files (src/model/keras/captionImport.ts): `file` names the file in messages.
 */
export function kerasModel(
  modelJson: Record<string, unknown>,
  tensors: tf.NamedTensorMap,
  maxLengthOverride?: number,
  file = 'model.json',
): { config: CaptionModelConfig; weights: Float32Array[] } {
  const topology = modelJson.modelTopology as Record<string, unknown> | undefined;
  const modelConfig = (topology?.model_config ?? topology) as { config?: { layers?: KerasLayer[] } } | undefined;
  const layers = modelConfig?.config?.layers ?? [];
  const byName = new Map(layers.map((l) => [layerName(l), l]));
  const roles: Record<string, string> = { dense: 'dense', embedding: 'embedding', lstm: 'lstm', dense_1: 'dense_1', dense_2: 'dense_2' };
  let maxLength = maxLengthOverride;
  if (layers.length) {
    const ofClass = (c: string) => layers.filter((l) => l.class_name === c);
    const fromInput = (l: KerasLayer): boolean =>
      inboundNames(l).some((n) => {
        const src = byName.get(n);
        return src !== undefined && (src.class_name === 'InputLayer' || (src.class_name === 'Dropout' && fromInput(src)));
      });
    const embedding = ofClass('Embedding')[0];
    const lstm = ofClass('LSTM')[0];
    const denses = ofClass('Dense');
    const image = denses.find(fromInput);
    const output = denses.find((d) => (d.config.activation === 'softmax' || d === denses[denses.length - 1]) && d !== image);
    const middle = denses.find((d) => d !== image && d !== output);
    if (!embedding || !lstm || !image || !output || !middle) {
      throw new UserError(
        `${file}: this is not the notebook captioner (expected Input → Dropout → Dense, Input → Embedding → Dropout → LSTM, add → Dense → Dense; ` +
          `found layers ${layers.map((l) => `${layerName(l)} (${l.class_name})`).join(', ')})`,
        { file },
      );
    }
    // Our LSTM computes Keras 2's gates (sigmoid, tanh); a model saved with other activations (e.g. the old
    // hard_sigmoid, tfjs Layers' default) would load and predict differently without a word.
    const recurrentActivation = lstm.config.recurrent_activation ?? 'sigmoid';
    const activation = lstm.config.activation ?? 'tanh';
    if (recurrentActivation !== 'sigmoid' || activation !== 'tanh') {
      throw new UserError(
        `${file}: layer ${layerName(lstm)} uses recurrent_activation '${String(recurrentActivation)}' and activation '${String(activation)}'; ` +
          "the studio's LSTM computes Keras 2's 'sigmoid' and 'tanh' (rebuild the model with those, as the notebook's is)",
        { file },
      );
    }
    Object.assign(roles, { dense: layerName(image), embedding: layerName(embedding), lstm: layerName(lstm), dense_1: layerName(middle), dense_2: layerName(output) });
    const input = byName.get(inboundNames(embedding)[0]);
    const shape = (input?.config.batch_input_shape ?? input?.config.batch_shape ?? embedding.config.batch_input_shape) as (number | null)[] | undefined;
    maxLength ??= (shape?.[1] as number | undefined) ?? (embedding.config.input_length as number | undefined);
  }
  if (!maxLength) throw new UserError(`${file}: cannot tell the caption length (input_2 shape); pass maxLength`, { file });
  if (!Number.isSafeInteger(maxLength) || maxLength > CONFIG_BOUNDS.maxLength) {
    throw new UserError(`${file}: the caption length (input_2 shape) is ${maxLength}; a caption model has a whole number from 1 to ${CONFIG_BOUNDS.maxLength} there`, { file });
  }
  const find = (layer: string, weight: string): string | undefined =>
    Object.keys(tensors).find((n) => {
      const parts = n.replace(/:\d+$/, '').split('/');
      return parts[0] === layer && parts[parts.length - 1] === weight;
    });
  const get = (role: string, weight: string) => tensors[find(roles[role], weight) ?? ''];
  const denseKernel = get('dense', 'kernel');
  const embeddings = get('embedding', 'embeddings');
  if (!denseKernel || !embeddings) {
    const missing = !denseKernel ? `layer ${roles.dense}: weight kernel` : `layer ${roles.embedding}: weight embeddings`;
    throw new UserError(`${missing} not found; the file has ${Object.keys(tensors).join(', ')}`, { file });
  }
  const config: CaptionModelConfig = {
    vocabSize: embeddings.shape[0],
    maxLength,
    featureDim: denseKernel.shape[0] as number,
    units: denseKernel.shape[1] as number,
    embedDim: embeddings.shape[1] as number,
    dropout: 0.4,
  };
  const weights = paramSpecs(config).map((spec) =>
    takeWeight(tensors, find(roles[spec.layer], spec.weight), { ...spec, layer: roles[spec.layer] }, file),
  );
  return { config, weights };
}
