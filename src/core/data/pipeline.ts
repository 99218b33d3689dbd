/**
 * The steps from a Folder to what the Dataset panel and `caption-studio stats` show: load (core/data),
 * clean under a protocol (core/text), read image sizes from headers, compute statistics (core/stats).
 * Plain functions over core, no DOM and no React, so the CLI and the store share them.
 */
import { nextMacrotask } from '../macrotask.ts';
import { computeStats, type DatasetStats } from '../stats.ts';
import { hasReadRange } from './folders.ts';
import { readImageSize } from './imageInfo.ts';
import { loadDataset } from './load.ts';
import type { Corpus, Folder, LoadedDataset, Problem, Protocol } from './types.ts';
import { buildCorpus } from '../text/protocols.ts';
import { splitNotices, type SplitNotice } from './splitNotices.ts';

export type { DatasetStats, SplitNotice };

/** Where a long step is, for a progress line. */
export interface Progress {
  phase: string;
  done: number;
  total: number;
}

export type ProgressListener = (progress: Progress) => void;

/**
 * Bytes read from the start of each image to find its size. JPEG puts the frame header after EXIF and
 * other segments (tens of KiB in camera photos); when 64 KiB is not enough the whole file is read.
 */
const IMAGE_HEAD_BYTES = 64 * 1024;
/** Images read between two yields to the event loop, so a page stays responsive on 8000 images. */
const IMAGES_PER_CHUNK = 64;


function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
}

/** Width and height of each image file (relative path → size), read from headers without decoding. */
export async function readImageSizes(
  folder: Folder,
  files: readonly string[],
  options: { onProgress?: ProgressListener; signal?: AbortSignal } = {},
): Promise<Map<string, { width: number; height: number }>> {
  const sizes = new Map<string, { width: number; height: number }>();
  for (let start = 0; start < files.length; start += IMAGES_PER_CHUNK) {
    throwIfAborted(options.signal);
    const chunk = files.slice(start, start + IMAGES_PER_CHUNK);
    await Promise.all(
      chunk.map(async (file) => {
        try {
          let size = hasReadRange(folder)
            ? readImageSize(await folder.readRange(file, 0, IMAGE_HEAD_BYTES))
            : readImageSize(await folder.read(file));
          if (!size && hasReadRange(folder)) size = readImageSize(await folder.read(file));
          if (size) sizes.set(file, { width: size.width, height: size.height });
        } catch {
          // An unreadable image is already a problem reported by loadDataset; its size is simply unknown.
        }
      }),
    );
    options.onProgress?.({ phase: 'reading image sizes', done: Math.min(files.length, start + chunk.length), total: files.length });
    await nextMacrotask();
  }
  return sizes;
}

/** A loaded folder, kept so a protocol switch re-cleans the captions without reading the folder again. */
export interface LoadedFolder {
  folder: Folder;
  dataset: LoadedDataset;
  imageSizes: Map<string, { width: number; height: number }>;
}

export async function loadFolder(
  folder: Folder,
  options: { onProgress?: ProgressListener; signal?: AbortSignal } = {},
): Promise<LoadedFolder> {
  options.onProgress?.({ phase: 'reading captions and checking images', done: 0, total: 1 });
  // Small images are read whole by the check, which reads their sizes on the way; the others' headers are read here.
  const sizesOfChecked: Map<string, { width: number; height: number }> = new Map();
  const dataset = await loadDataset(folder, { imageSizes: sizesOfChecked });
  throwIfAborted(options.signal);
  // Every image file, captioned or not: the statistics describe the folder's pictures (in the folder's order).
  const rest = await readImageSizes(folder, dataset.imageFiles.filter((file) => !sizesOfChecked.has(file)), options);
  const imageSizes = new Map<string, { width: number; height: number }>();
  for (const file of dataset.imageFiles) {
    const size = sizesOfChecked.get(file) ?? rest.get(file);
    if (size) imageSizes.set(file, size);
  }
  return { folder, dataset, imageSizes };
}

export interface DatasetSummary {
  corpus: Corpus;
  stats: DatasetStats;
  /** Problems of loading and of cleaning under the protocol, in that order. */
  warnings: Problem[];
  /** The training or test split this protocol leaves without an image in the folder, said up front. */
  splitNotices: SplitNotice[];
}

/** Cleans the captions under `protocol`, computes the statistics, and says which split is left empty. */
export function summarize(loaded: LoadedFolder, protocol: Protocol): DatasetSummary {
  const corpus = buildCorpus(loaded.dataset, protocol);
  const stats = computeStats(loaded.dataset, corpus, loaded.imageSizes);
  const where = { format: loaded.dataset.format, captionFile: loaded.dataset.captionFile };
  let notices = splitNotices(corpus, where);
  // Only when a split is empty is the other protocol built, to suggest it where it helps.
  if (notices.length > 0) {
    notices = splitNotices(corpus, { ...where, other: buildCorpus(loaded.dataset, protocol === 'kaggle' ? 'standard' : 'kaggle') });
  }
  return { corpus, stats, warnings: [...loaded.dataset.problems, ...corpus.problems], splitNotices: notices };
}
