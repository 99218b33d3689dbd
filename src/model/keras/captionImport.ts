/**
 * The notebook's trained caption model from its own Keras file (`model.save('model.h5')` in Keras 2, or a
 * Keras 3 `.keras`), into the studio's caption model: the topology (which Dense is the image branch, which
 * the output; the caption length from the second input) is read from the file's model config by the same
 * code that reads a tensorflowjs_converter folder (weightsIo.ts's kerasModel), the weights by layer name.
 * The tokenizer that goes with the model is checked against it here: its vocabulary must be the model's.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import type { Tokenizer } from '../../core/text/tokenizer.ts';
import type { CaptionModelConfig } from '../captionModel.ts';
import { encodeCaptionModel, kerasModel, type ModelMeta } from '../weightsIo.ts';
import { weightBaseName } from './backboneWeights.ts';
import type { KerasWeightsFile } from './kerasFile.ts';

export interface KerasCaptionModel {
  config: CaptionModelConfig;
  /** paramSpecs order */
  weights: Float32Array[];
}

/** Reads the notebook captioner's config and weights from an open Keras file. */
export async function kerasCaptionModel(file: KerasWeightsFile): Promise<KerasCaptionModel> {
  const { index } = file;
  if (!index.modelConfig) {
    throw new UserError(
      index.layout === 'keras3'
        ? 'holds weights only (no config.json): save the whole model with model.save("model.keras") or model.save("model.h5")'
        : 'holds weights only (no model_config attribute): save the whole model with model.save("model.h5"), not save_weights',
      { file: index.file },
    );
  }
  const tensors: tf.NamedTensorMap = {};
  try {
    // The caption model is small (a few MB at the notebook's sizes): every weight is read at once. Keys are
    // `<layer>/<weight>`, which is what kerasModel matches (first part: layer, last part: weight).
    for (const layer of index.layers) {
      for (const weight of layer.weights) {
        tensors[`${layer.layer}/${weightBaseName(weight.name)}`] = tf.tensor(await file.read(weight), weight.shape, 'float32');
      }
    }
    return kerasModel({ modelTopology: index.modelConfig }, tensors, undefined, index.file);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Checks that a tokenizer belongs to the model: the same vocabulary size (words + padding) and the caption
 * markers in it.
 * @param tokenizerFile how messages name the tokenizer (file name, or "the tokenizer rebuilt from <folder>")
 */
export function checkTokenizerFits(
  model: KerasCaptionModel,
  modelFile: string,
  tokenizer: Tokenizer,
  tokenizerFile: string,
  markers: { start: string; end: string } = { start: 'startseq', end: 'endseq' },
): void {
  for (const marker of [markers.start, markers.end]) {
    if (!tokenizer.wordIndex.has(marker)) {
      throw new UserError(`has no word "${marker}": it is not the tokenizer of a captioner trained with ${markers.start}/${markers.end} markers`, { file: tokenizerFile });
    }
  }
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new UserError(
      `has ${tokenizer.vocabSize - 1} words (vocabulary ${tokenizer.vocabSize} with padding) but ${modelFile}'s embedding and output layer take ${model.config.vocabSize}: ` +
        'they do not belong together',
      { file: tokenizerFile },
    );
  }
}

/** The tokenizer that goes with an imported model, and how messages name it. */
export interface TokenizerChoice {
  tokenizer: Tokenizer;
  /** What `tokenizer.to_json()` returns, written to the model folder as tokenizer.json. */
  json: string;
  /** A file name, or "the tokenizer rebuilt from <dataset>". */
  label: string;
  /** When rebuilt from a dataset: its longest caption in tokens, which must be the model's input length. */
  datasetMaxLength?: number;
}

/**
 * The notebook's Keras model and its tokenizer as the files of a studio model folder (weightsIo's format),
 * for the CLI's import-keras and the Model panel alike.
 */
export async function kerasModelFolderFiles(
  file: KerasWeightsFile,
  tokenizer: TokenizerChoice,
  meta: ModelMeta = {},
): Promise<{ model: KerasCaptionModel; files: Record<string, Uint8Array | string> }> {
  const model = await kerasCaptionModel(file);
  const modelName = file.index.file.split(/[\\/]/).pop() ?? file.index.file;
  if (tokenizer.datasetMaxLength !== undefined && tokenizer.datasetMaxLength !== model.config.maxLength) {
    throw new UserError(
      `${modelName} takes captions of ${model.config.maxLength} tokens but the longest caption of the dataset behind ${tokenizer.label} has ${tokenizer.datasetMaxLength}: ` +
        'another dataset or protocol than the model was trained on?',
      { file: file.index.file },
    );
  }
  checkTokenizerFits(model, modelName, tokenizer.tokenizer, tokenizer.label);
  const files = encodeCaptionModel(model.config, model.weights, tokenizer.json, {
    protocol: 'kaggle',
    startToken: 'startseq',
    endToken: 'endseq',
    importedFrom: { file: modelName, layout: file.index.layout, kerasVersion: file.index.kerasVersion, tokenizer: tokenizer.label },
    ...meta,
  });
  return { model, files };
}
