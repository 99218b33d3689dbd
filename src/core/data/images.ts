/** Finding a dataset's image files in a folder listing and checking them (first and last bytes only). */
import type { Folder, FolderEntry, Problem } from './types.ts';
import { hasReadRange } from './folders.ts';
import { checkImage, IMAGE_HEAD_BYTES, IMAGE_TAIL_BYTES } from './formats/imageCheck.ts';
import { IMAGE_EXTENSION } from './formats/textFile.ts';
import { readImageSize } from './imageInfo.ts';

export function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function isUnder(path: string, dir: string): boolean {
  return dir === '' || path.startsWith(`${dir}/`);
}

/** Files of no interest that operating systems and tools leave in folders. */
const CLUTTER = /^(thumbs\.db|desktop\.ini|readme(\..*)?|license(\..*)?)$/i;

export interface ImageSearch {
  /** Folder searched for images ('' is the root). */
  root: string;
  /** Files with an image extension under `root`, shallowest first. */
  candidates: FolderEntry[];
  /** Files without an image extension in folders (other than the caption file's) that hold images. */
  strays: FolderEntry[];
}

/**
 * Images belong under the caption file's folder (`Images/`, `images/`, `Flicker8k_Dataset/` or beside the
 * file); when that has none, anywhere in the folder (the original download keeps captions in
 * `Flickr8k_text/` and images in a sibling `Flicker8k_Dataset/`).
 */
export function findImages(entries: FolderEntry[], captionDir: string): ImageSearch {
  const depth = (path: string): number => path.split('/').length;
  const underCaptionDir = entries.filter((entry) => isUnder(entry.path, captionDir) && IMAGE_EXTENSION.test(entry.path));
  const root = underCaptionDir.length > 0 ? captionDir : '';
  const candidates = (underCaptionDir.length > 0 ? underCaptionDir : entries.filter((entry) => IMAGE_EXTENSION.test(entry.path)))
    .slice()
    .sort((a, b) => depth(a.path) - depth(b.path));
  const imageDirs = new Set(candidates.map((entry) => dirOf(entry.path)));
  imageDirs.delete(captionDir);
  const strays = entries.filter(
    (entry) =>
      imageDirs.has(dirOf(entry.path)) && !IMAGE_EXTENSION.test(entry.path) && !CLUTTER.test(baseName(entry.path)),
  );
  return { root, candidates, strays };
}

async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(runners);
  return results;
}

/**
 * Files up to this size are read whole, once: the check and the size (its header) come from the same bytes,
 * instead of a read for each end and another for the header. A browser's every read is a round trip to its
 * file store: on a folder of 8091 small images this halves the loading time.
 */
export const READ_WHOLE_IMAGE_BYTES = 64 * 1024;

export type ImageSizes = Map<string, { width: number; height: number }>;

/**
 * Reads the first and last bytes of every candidate; returns the usable ones, reports the rest. The sizes of
 * usable images read whole (up to READ_WHOLE_IMAGE_BYTES) go into `sizes` when given.
 */
export async function checkImages(folder: Folder, candidates: FolderEntry[], problems: Problem[], sizes?: ImageSizes): Promise<Set<string>> {
  const usable = new Set<string>();
  // 64 reads in flight: a browser folder joins the reads asked for together into one (ui/browser/folders.ts).
  const checks = await mapLimit(candidates, 64, async (entry) => {
    if (entry.bytes === 0) return checkImage(new Uint8Array(0), new Uint8Array(0), 0);
    let head: Uint8Array;
    let tail: Uint8Array;
    let size = entry.bytes;
    if (entry.bytes <= READ_WHOLE_IMAGE_BYTES) {
      const whole = await folder.read(entry.path);
      size = whole.byteLength;
      const check = checkImage(whole.subarray(0, IMAGE_HEAD_BYTES), whole.subarray(Math.max(0, size - IMAGE_TAIL_BYTES)), size);
      const imageSize = check.status === 'ok' && sizes ? readImageSize(whole) : null;
      if (imageSize) sizes?.set(entry.path, { width: imageSize.width, height: imageSize.height });
      return check;
    }
    if (hasReadRange(folder)) {
      head = await folder.readRange(entry.path, 0, IMAGE_HEAD_BYTES);
      tail = await folder.readRange(entry.path, Math.max(0, size - IMAGE_TAIL_BYTES), size);
    } else {
      const whole = await folder.read(entry.path);
      size = whole.byteLength;
      head = whole.subarray(0, IMAGE_HEAD_BYTES);
      tail = whole.subarray(Math.max(0, size - IMAGE_TAIL_BYTES));
    }
    return checkImage(head, tail, size);
  });
  candidates.forEach((entry, index) => {
    const check = checks[index];
    const file = entry.path;
    if (check.status === 'ok') usable.add(file);
    else if (check.status === 'empty') {
      problems.push({ file, code: 'image-empty', message: `${file} is empty (0 bytes); skipped` });
    } else if (check.status === 'not-an-image') {
      problems.push({ file, code: 'not-an-image', message: `${file} is not a JPEG, PNG, GIF, BMP or WebP image; skipped` });
    } else {
      problems.push({
        file,
        code: 'image-truncated',
        message: `${file} is a truncated ${check.kind.toUpperCase()} (${entry.bytes} bytes, its end is missing); skipped`,
      });
    }
  });
  return usable;
}
