/**
 * `loadDataset(folder)`: finds the caption file by name and content, reads it, matches captions to image
 * files, applies split files, and reports every problem met on the way instead of throwing. It throws
 * DatasetError only when nothing usable is left (no caption file, or no caption in it).
 *
 * Problem codes are listed in problems.ts. Every problem is reported, one per image or line (the real
 * folder's 7991 absent images give 7991 'image-missing' problems, each with its line and image as `subject`):
 * the full list is what the studio's download and `stats --json` hold; groupProblems makes one line of them
 * for people. Which images lack files is also exact in `images[i].file === null`.
 *
 * Broken images (empty, truncated, not images) are reported and left out of `imageFiles`; their captions
 * stay, with `file: null`. Image checks read 32 bytes from the start and 1 kB from the end of each file; a file of
 * up to 64 KiB is read whole, once, and its size is read from the same bytes (LoadOptions.imageSizes).
 */
import { DatasetError } from '../errors.ts';
import type { CaptionFormat, Folder, FolderEntry, ImageRecord, LoadedDataset, Problem, Split } from './types.ts';
import { baseName, checkImages, dirOf, findImages, type ImageSizes } from './images.ts';
import { hasReadRange } from './folders.ts';
import { parseKaggleCsv } from './formats/kaggleCsv.ts';
import { looksLikeKarpathyJson, parseKarpathyJson } from './formats/karpathyJson.ts';
import { readSplitFile, splitOfFileName, type SplitAssignment } from './formats/splitFiles.ts';
import { decodeUtf8, type CaptionRow } from './formats/textFile.ts';
import { looksLikeTokenFile, parseTokenFile } from './formats/tokenFile.ts';

export interface LoadOptions {
  /** Which format to read when the folder holds several caption files. Default: kaggle-csv, token, karpathy. */
  format?: CaptionFormat;
  /** Check each image's first and last bytes for empty, non-image and truncated files (default true). */
  checkImages?: boolean;
  /** Filled with the width and height of the images the check read whole (small files), so no one reads them again. */
  imageSizes?: ImageSizes;
}

const FORMAT_ORDER: CaptionFormat[] = ['kaggle-csv', 'flickr8k-token', 'karpathy-json'];

/** What the loader looks for, for the error message when it finds nothing. */
const LOOKED_FOR =
  'captions.txt (Kaggle CSV "image,caption"), Flickr8k.token.txt ("name.jpg#N<TAB>caption") or ' +
  'dataset_flickr8k.json (Karpathy split), at the top of the folder or up to two folders down';

/** Caption files by name; the content decides the format. */
const CAPTION_FILE_NAME = /^(captions\.(txt|csv)|.*token.*\.txt|dataset_.*\.json)$/i;
const MAX_DEPTH = 3;
const MAX_SNIFFED_FILES = 30;
const MAX_CAPTION_FILE_BYTES = 256 * 1024 * 1024;
/**
 * The longest line a caption text file (CSV, token file) may have. Flickr8K's longest is under 300 bytes;
 * a file of one line of megabytes is no caption file, and is refused after reading just past the bound
 * instead of being decoded and parsed whole.
 */
export const MAX_CAPTION_LINE_BYTES = 64 * 1024;
const LINE_SCAN_CHUNK_BYTES = 1024 * 1024;

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function ignored(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.') || segment === '__MACOSX');
}

const depthOf = (path: string): number => path.split('/').length;

function sniffFormat(text: string): CaptionFormat | null {
  const firstLine = (text.split(/\r\n|\r|\n/, 20).find((line) => line.trim() !== '') ?? '').trim();
  if (/^"?image"?\s*,\s*"?caption"?\s*$/i.test(firstLine)) return 'kaggle-csv';
  if (looksLikeTokenFile(text)) return 'flickr8k-token';
  if (looksLikeKarpathyJson(text)) return 'karpathy-json';
  if (/^[^,#\t]+\.(jpe?g|png|gif|bmp|webp),/i.test(firstLine)) return 'kaggle-csv';
  return null;
}

interface CaptionFile {
  path: string;
  format: CaptionFormat;
  text: string;
}

/** The first line longer than MAX_CAPTION_LINE_BYTES (1-based), read chunk by chunk where the folder can; null if none. */
async function overlongLine(folder: Folder, entry: FolderEntry): Promise<number | null> {
  let line = 1;
  let lineBytes = 0;
  const scan = (chunk: Uint8Array): boolean => {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x0a) {
        line++;
        lineBytes = 0;
      } else if (++lineBytes > MAX_CAPTION_LINE_BYTES) return true;
    }
    return false;
  };
  if (!hasReadRange(folder)) return scan(await folder.read(entry.path)) ? line : null;
  for (let start = 0; start < entry.bytes; start += LINE_SCAN_CHUNK_BYTES) {
    if (scan(await folder.readRange(entry.path, start, Math.min(entry.bytes, start + LINE_SCAN_CHUNK_BYTES)))) return line;
  }
  return null;
}

const isCaptionText = (path: string): boolean => !/\.json$/i.test(path);

/** Reads candidate caption files (named ones first, then any small text file) and picks one by format. */
async function findCaptionFile(folder: Folder, entries: FolderEntry[], options: LoadOptions): Promise<CaptionFile> {
  const shallow = entries.filter((entry) => depthOf(entry.path) <= MAX_DEPTH && entry.bytes <= MAX_CAPTION_FILE_BYTES);
  const named = shallow.filter((entry) => CAPTION_FILE_NAME.test(baseName(entry.path)) && !/lemma/i.test(entry.path));
  const others = shallow.filter(
    (entry) =>
      !named.includes(entry) &&
      /\.(txt|csv|tsv|json)$/i.test(entry.path) &&
      splitOfFileName(baseName(entry.path)) === null &&
      !/(readme|lemma|annotations)/i.test(baseName(entry.path)),
  );
  const byDepth = (a: FolderEntry, b: FolderEntry): number => depthOf(a.path) - depthOf(b.path);
  const rank = (format: CaptionFormat): number =>
    format === options.format ? -1 : FORMAT_ORDER.indexOf(format);
  for (const group of [named.sort(byDepth), others.sort(byDepth).slice(0, MAX_SNIFFED_FILES)]) {
    const found: CaptionFile[] = [];
    for (const entry of group) {
      const longLine = isCaptionText(entry.path) ? await overlongLine(folder, entry) : null;
      if (longLine !== null) {
        // A file named as a caption file is refused with the reason; one only sniffed is passed over.
        if (group !== named) continue;
        throw new DatasetError(
          `${entry.path}:${longLine}: line ${longLine} runs past ${MAX_CAPTION_LINE_BYTES / 1024} KiB without a line break (the file is ${formatSize(entry.bytes)}); ` +
            'a caption line is a few hundred bytes: this is not a caption file (pick the folder with the real captions.txt)',
          { file: entry.path, line: longLine },
        );
      }
      const text = decodeUtf8(await folder.read(entry.path));
      const format = sniffFormat(text);
      if (format) found.push({ path: entry.path, format, text });
    }
    const usable = options.format ? found.filter((file) => file.format === options.format) : found;
    if (usable.length > 0) {
      usable.sort((a, b) => depthOf(a.path) - depthOf(b.path) || rank(a.format) - rank(b.format));
      return usable[0];
    }
  }
  const wanted = options.format ? `a ${options.format} caption file: ` : '';
  throw new DatasetError(`no caption file found in folder '${folder.name}': looked for ${wanted}${LOOKED_FOR}`);
}

interface ParsedFile {
  rows: (CaptionRow & { split?: Split | null })[];
  problems: Problem[];
  rawCsvLines: LoadedDataset['rawCsvLines'];
}

function parseCaptionFile(file: CaptionFile): ParsedFile {
  if (file.format === 'kaggle-csv') {
    const parsed = parseKaggleCsv(file.text, file.path);
    return { rows: parsed.rows, problems: parsed.problems, rawCsvLines: parsed.rawLines };
  }
  if (file.format === 'flickr8k-token') return { ...parseTokenFile(file.text, file.path), rawCsvLines: null };
  const parsed = parseKarpathyJson(file.text, file.path);
  if (!parsed.ok) throw new DatasetError(parsed.message, { file: file.path, line: parsed.line });
  return { rows: parsed.rows, problems: parsed.problems, rawCsvLines: null };
}

/** Groups caption rows by image in first-appearance order; reports duplicate captions (kept, as written). */
function groupByImage(rows: ParsedFile['rows'], captionFile: string, problems: Problem[]): ImageRecord[] {
  const records = new Map<string, ImageRecord & { seen: Map<string, number> }>();
  for (const row of rows) {
    let record = records.get(row.image);
    if (!record) {
      record = { name: row.image, split: row.split ?? null, captions: [], captionLines: [], file: null, seen: new Map() };
      records.set(row.image, record);
    }
    const earlierLine = record.seen.get(row.caption);
    if (earlierLine !== undefined) {
      problems.push({
        file: captionFile,
        line: row.line,
        subject: row.image,
        code: 'duplicate-caption',
        message: `caption on line ${row.line} repeats line ${earlierLine} for ${row.image} (kept)`,
      });
    } else {
      record.seen.set(row.caption, row.line);
    }
    record.captions.push(row.caption);
    record.captionLines.push(row.line);
  }
  return [...records.values()].map(({ seen: _seen, ...record }) => record);
}

/** Official split files, preferably beside the caption file, else the shallowest found. */
async function readSplits(folder: Folder, entries: FolderEntry[], captionDir: string, problems: Problem[]) {
  const splitEntries = entries.filter((entry) => splitOfFileName(baseName(entry.path)) !== null);
  const beside = splitEntries.filter((entry) => dirOf(entry.path) === captionDir);
  const chosen = beside.length > 0 ? beside : splitEntries.filter((entry) => dirOf(entry.path) === dirOf(splitEntries[0]?.path ?? ''));
  const assignments = new Map<string, SplitAssignment>();
  for (const entry of chosen) {
    const split = splitOfFileName(baseName(entry.path)) as Split;
    readSplitFile(decodeUtf8(await folder.read(entry.path)), entry.path, split, assignments, problems);
  }
  return assignments;
}

export async function loadDataset(folder: Folder, options: LoadOptions = {}): Promise<LoadedDataset> {
  const entries = (await folder.list()).filter((entry) => !ignored(entry.path));
  const captionFile = await findCaptionFile(folder, entries, options);
  const captionDir = dirOf(captionFile.path);
  const parsed = parseCaptionFile(captionFile);
  const problems: Problem[] = [...(folder.listProblems?.() ?? []), ...parsed.problems];
  const images = groupByImage(parsed.rows, captionFile.path, problems);
  if (images.length === 0) {
    const first = problems[0];
    const why = first ? ` (first problem, line ${first.line ?? '?'}: ${first.message})` : ' (the file has no caption lines)';
    throw new DatasetError(`no usable caption in ${captionFile.path}${why}`, { file: captionFile.path, line: first?.line });
  }

  if (captionFile.format !== 'karpathy-json') {
    const splits = await readSplits(folder, entries, captionDir, problems);
    const byName = new Map(images.map((record) => [record.name, record]));
    for (const [name, assignment] of splits) {
      const record = byName.get(name);
      if (record) record.split = assignment.split;
      else {
        problems.push({
          file: assignment.file,
          code: 'split-image-uncaptioned',
          line: assignment.line,
          subject: name,
          message: `${name} (line ${assignment.line}) has no caption in ${captionFile.path}; left out`,
        });
      }
    }
  }

  const search = findImages(entries, captionDir);
  for (const stray of search.strays) {
    problems.push({ file: stray.path, code: 'not-an-image', message: `${stray.path} is not an image file; skipped` });
  }
  const usable =
    options.checkImages === false
      ? new Set(search.candidates.map((entry) => entry.path))
      : await checkImages(folder, search.candidates, problems, options.imageSizes);
  const found = new Map<string, string>(); // base name → path, shallowest first
  const foundLower = new Map<string, string>();
  for (const entry of search.candidates) {
    const name = baseName(entry.path);
    if (!found.has(name)) found.set(name, entry.path);
    if (!foundLower.has(name.toLowerCase())) foundLower.set(name.toLowerCase(), entry.path);
  }
  const named = new Set<string>();
  if (search.candidates.length === 0) {
    problems.push({
      file: captionFile.path,
      code: 'no-images',
      message: `no image files in folder '${folder.name}' (looked for .jpg, .png, .gif, .bmp, .webp files in Images/ or beside ${captionFile.path}): captions only, nothing to train on`,
    });
    if (folder.followsLinks === false) {
      problems.push({
        file: captionFile.path,
        code: 'links-not-followed',
        message: `${captionFile.path} names ${images.length} images, but the browser handed over no image file from '${folder.name}': if its images are behind a symbolic link (for example Images → where the photos really are), the browser does not follow it. Pick the images folder itself together with the caption file, or use a real copy of the images`,
      });
    }
  }
  for (const record of images) {
    const name = baseName(record.name);
    const path = found.get(name) ?? foundLower.get(name.toLowerCase());
    if (path !== undefined) {
      named.add(path);
      if (usable.has(path)) record.file = path;
    } else if (search.candidates.length > 0) {
      problems.push({
        file: captionFile.path,
        line: record.captionLines[0],
        code: 'image-missing',
        subject: record.name,
        message: `${record.name} (line ${record.captionLines[0]}) is not in the folder: its captions count in statistics, but it cannot be used for training`,
      });
    }
  }
  for (const entry of search.candidates) {
    if (!named.has(entry.path) && usable.has(entry.path)) {
      problems.push({
        file: entry.path,
        code: 'image-uncaptioned',
        subject: entry.path,
        message: `${entry.path} has no caption in ${captionFile.path}; not used`,
      });
    }
  }

  return {
    format: captionFile.format,
    captionFile: captionFile.path,
    images,
    imageFiles: search.candidates.map((entry) => entry.path).filter((path) => usable.has(path)),
    rawCsvLines: parsed.rawCsvLines,
    problems,
  };
}

