/**
 * Node access to TensorFlow.js Layers model folders: tfjs' own `file://` handler needs tfjs-node, which
 * this project does not use, so these two small IOHandlers read and write the folder with node:fs.
 */
import { statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isKerasFileName } from '../keras/kerasFile.ts';
import { openKerasFileNode } from '../keras/openNode.ts';
import type { KerasWeightsInput } from '../keras/weightsInput.ts';
import type { HandlerWeights, WeightsInput } from './loadWeights.ts';

/** A folder (or its model.json) as a load-only IOHandler. */
export function nodeFolderHandler(folderOrModelJson: string): tf.io.IOHandler {
  const modelJsonPath = folderOrModelJson.endsWith('.json') ? folderOrModelJson : join(folderOrModelJson, 'model.json');
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = await readFile(modelJsonPath, 'utf8');
      } catch {
        throw new Error(`no model.json at ${modelJsonPath}`);
      }
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text) as tf.io.ModelJSON;
      } catch (error) {
        throw new Error(`${modelJsonPath} is not valid JSON: ${(error as Error).message}`);
      }
      if (!Array.isArray(modelJson.weightsManifest)) throw new Error(`${modelJsonPath} has no weightsManifest`);
      const folder = dirname(modelJsonPath);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of modelJson.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const shard of group.paths) {
          let bytes: Uint8Array;
          try {
            bytes = await readFile(join(folder, shard));
          } catch {
            throw new Error(`weight shard ${shard} named in ${basename(modelJsonPath)} is missing from ${folder}`);
          }
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
      }
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        weightSpecs,
        weightData: buffers,
      };
    },
  };
}

/**
 * `--weights <dir|url|file>` → a WeightsInput: http(s) URLs name a model.json; a .h5/.keras path (or any
 * file that is not a .json) is a Keras file, read layer by layer; anything else is a tfjs folder.
 */
export function nodeWeights(dirOrUrl: string): WeightsInput {
  if (/^https?:\/\//i.test(dirOrUrl)) return { kind: 'url', url: dirOrUrl };
  const path = resolve(dirOrUrl);
  const isFile = statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  if (isKerasFileName(path) || (isFile && !path.endsWith('.json'))) {
    const keras: KerasWeightsInput = { kind: 'keras', open: () => openKerasFileNode(path), source: { kind: 'path', location: path } };
    return keras;
  }
  const weights: HandlerWeights = { kind: 'handler', handler: nodeFolderHandler(path), source: { kind: 'path', location: path } };
  return weights;
}

/** Saves a LayersModel as model.json + one shard (what tensorflowjs_converter writes, in one group). */
export async function saveModelToFolder(model: tf.LayersModel, folder: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await mkdir(folder, { recursive: true });
      const shardName = 'group1-shard1of1.bin';
      const data = tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'caption-studio saveModelToFolder',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [shardName], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(folder, 'model.json'), JSON.stringify(modelJson));
      await writeFile(join(folder, shardName), new Uint8Array(data));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}
