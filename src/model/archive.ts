/**
 * A model archive: one zip of a model folder's files (weightsIo: model.json, weights.bin, tokenizer.json),
 * what the page exports, keeps for a reload and imports. Also the one bounded unzip every archive the studio
 * reads goes through (model archives, run folders for PyTorch).
 */
import { unzipSync, zipSync } from 'fflate';
import { UserError } from '../core/errors.ts';

/**
 * The most a model archive's entries may inflate to. The notebook's model with a Flickr30k vocabulary
 * (18k words) is about 40 MB of weights; a zip bomb (a few kB that inflate to gigabytes) is refused from the
 * sizes the zip declares, before anything is inflated.
 */
export const MAX_MODEL_ARCHIVE_BYTES = 1024 * 2 ** 20;

export function zipModelFiles(files: Record<string, Uint8Array | string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v])));
}

export interface BoundedUnzipOptions {
  /** The most the kept entries may inflate to, together (bytes). */
  maxInflatedBytes: number;
  /** Which entries to inflate (default: all); the others are neither counted nor inflated. */
  keep?: (name: string) => boolean;
  /** What the archive should be, for the message about a file that is not a zip. */
  hint: string;
}

/**
 * Unzips after checking the sizes the zip's central directory declares: their sum must stay under
 * `maxInflatedBytes`. An entry whose header understates its size cannot inflate past it either: fflate
 * inflates into a buffer of the declared size and stops there (the truncated data then fails its own checks).
 */
export function unzipBounded(bytes: Uint8Array, fileName: string, options: BoundedUnzipOptions): Record<string, Uint8Array> {
  const declared: { name: string; originalSize: number }[] = [];
  const keep = options.keep ?? (() => true);
  try {
    unzipSync(bytes, {
      filter: (entry) => {
        if (keep(entry.name)) declared.push({ name: entry.name, originalSize: entry.originalSize });
        return false;
      },
    });
  } catch (error) {
    throw new UserError(`${fileName} is not a zip archive (${(error as Error).message}): ${options.hint}`, { file: fileName });
  }
  const total = declared.reduce((sum, entry) => sum + entry.originalSize, 0);
  if (total > options.maxInflatedBytes) {
    const largest = declared.reduce((a, b) => (b.originalSize > a.originalSize ? b : a));
    throw new UserError(
      `${fileName}: its ${declared.length} entries would inflate to ${formatBytes(total)} (${largest.name}: ${formatBytes(largest.originalSize)}) from ` +
        `${formatBytes(bytes.length)} of zip, more than the ${formatBytes(options.maxInflatedBytes)} such an archive may hold here; refused unopened (${options.hint})`,
      { file: fileName },
    );
  }
  try {
    return unzipSync(bytes, { filter: (entry) => keep(entry.name) });
  } catch (error) {
    throw new UserError(`${fileName}: a zip entry cannot be inflated (${(error as Error).message}): ${options.hint}`, { file: fileName });
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

const MODEL_ARCHIVE_HINT = 'export a model from the Model tab to get one';

/** A model archive (zip of a model folder, possibly inside one top folder) → its files. */
export function unzipModelArchive(bytes: Uint8Array, fileName: string): Record<string, Uint8Array> {
  const entries = unzipBounded(bytes, fileName, { maxInflatedBytes: MAX_MODEL_ARCHIVE_BYTES, hint: MODEL_ARCHIVE_HINT });
  const modelJson = Object.keys(entries).find((k) => k === 'model.json' || k.endsWith('/model.json'));
  if (!modelJson) throw new UserError(`${fileName} holds no model.json: it is not a caption model archive`);
  const prefix = modelJson.slice(0, modelJson.length - 'model.json'.length);
  return Object.fromEntries(Object.entries(entries).filter(([k]) => k.startsWith(prefix) && !k.endsWith('/')).map(([k, v]) => [k.slice(prefix.length), v]));
}

/** Only the model.json of a model archive (what a reload reads to name the model without loading it). */
export function unzipModelJson(bytes: Uint8Array, fileName: string): Uint8Array | null {
  const entries = unzipBounded(bytes, fileName, {
    maxInflatedBytes: MAX_MODEL_ARCHIVE_BYTES,
    keep: (name) => name === 'model.json' || name.endsWith('/model.json'),
    hint: MODEL_ARCHIVE_HINT,
  });
  return Object.values(entries)[0] ?? null;
}
