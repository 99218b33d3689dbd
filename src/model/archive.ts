/**
 * A model archive: one zip of a model folder's files (weightsIo: model.json, weights.bin, tokenizer.json),
 * what the page exports, keeps for a reload and imports.
 */
import { unzipSync, zipSync } from 'fflate';
import { UserError } from '../core/errors.ts';

export function zipModelFiles(files: Record<string, Uint8Array | string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v])));
}

/** A model archive (zip of a model folder, possibly inside one top folder) → its files. */
export function unzipModelArchive(bytes: Uint8Array, fileName: string): Record<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new UserError(`${fileName} is not a zip archive (${(error as Error).message}): export a model from the Model tab to get one`);
  }
  const modelJson = Object.keys(entries).find((k) => k === 'model.json' || k.endsWith('/model.json'));
  if (!modelJson) throw new UserError(`${fileName} holds no model.json: it is not a caption model archive`);
  const prefix = modelJson.slice(0, modelJson.length - 'model.json'.length);
  return Object.fromEntries(Object.entries(entries).filter(([k]) => k.startsWith(prefix) && !k.endsWith('/')).map(([k, v]) => [k.slice(prefix.length), v]));
}
