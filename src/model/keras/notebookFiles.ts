/**
 * The Model panel's import of the notebook's own Keras file (model.h5 or model.keras) picked together with
 * its tokenizer.json: the same reading and checks as `caption-studio import-keras`, giving the files of a
 * model folder that the page loads like any other. Without a tokenizer file, a tokenizer rebuilt from the
 * loaded dataset (kaggle protocol, as the notebook fits it) stands in, and `rebuilt` says so.
 */
import { UserError } from '../../core/errors.ts';
import type { Corpus } from '../../core/data/types.ts';
import { fitCaptionTokenizer } from '../../core/text/protocols.ts';
import { kerasModelFolderFiles, type KerasCaptionModel, type TokenizerChoice } from './captionImport.ts';
import { isKerasFileName } from './kerasFile.ts';
import { openKerasBlob } from './openBrowser.ts';
import { parseKerasTokenizerJson } from './tokenizerFile.ts';

/** True when the picked files hold a Keras model file (rather than a tensorflowjs_converter folder). */
export function picksKerasModel(files: readonly File[]): boolean {
  return files.some((f) => isKerasFileName(f.name));
}

/** The notebook's tokenizer fitted again on a corpus, as training fits it. */
export function rebuiltTokenizer(corpus: Corpus, label: string): TokenizerChoice {
  const tokenizer = fitCaptionTokenizer(corpus);
  return { tokenizer, json: tokenizer.toJSON(), label, datasetMaxLength: corpus.maxLength };
}

export async function kerasNotebookFiles(
  files: readonly File[],
  rebuildTokenizer?: () => TokenizerChoice | null,
): Promise<{ files: Record<string, Uint8Array | string>; model: KerasCaptionModel; modelName: string; rebuilt: boolean }> {
  const models = files.filter((f) => isKerasFileName(f.name));
  if (models.length !== 1) throw new UserError(`pick one Keras model file (.h5 or .keras) with its tokenizer.json (got ${models.length} model files)`);
  const [modelFile] = models;
  const tokenizerFile = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  let tokenizer: TokenizerChoice | null = null;
  if (tokenizerFile) tokenizer = { ...parseKerasTokenizerJson(await tokenizerFile.text(), tokenizerFile.name), label: tokenizerFile.name };
  else tokenizer = rebuildTokenizer?.() ?? null;
  if (!tokenizer) {
    throw new UserError(`pick the notebook's tokenizer.json (what tokenizer.to_json() returns) together with ${modelFile.name}, or load the dataset it was trained on first`);
  }
  const file = await openKerasBlob(modelFile, modelFile.name);
  try {
    const { model, files: folder } = await kerasModelFolderFiles(file, tokenizer);
    return { files: folder, model, modelName: modelFile.name, rebuilt: !tokenizerFile };
  } finally {
    await file.close();
  }
}
