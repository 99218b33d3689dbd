/**
 * The `kaggle` text protocol: exactly what the popular Kaggle notebook "Image Caption Generator (VGG16,
 * Flickr8k)" does, bugs included, so its numbers can be reproduced:
 *
 *   for line in captions_doc.split('\n'):            # after next(f) skipped the header
 *       tokens = line.split(',')                      # quoted commas split too; quote chars stay
 *       if len(line) < 2: continue
 *       image_id, caption = tokens[0], tokens[1:]
 *       image_id = image_id.split('.')[0]
 *       caption = " ".join(caption)
 *   caption = caption.lower()
 *   caption = caption.replace('[^A-Za-z]', '')        # literal string: never matches after lower()
 *   caption = caption.replace('\s+', ' ')             # literal string: matches only a typed "\s+"
 *   caption = 'startseq ' + " ".join([w for w in caption.split() if len(w) > 1]) + ' endseq'
 *   split = int(len(image_ids) * 0.90); train = image_ids[:split]; test = image_ids[split:]
 *
 * On the real captions.txt: 8091 images, 40455 captions, max_length 35, vocab_size 8464 (Keras Tokenizer,
 * +1); train 7281 images, test 810, no validation split.
 */
import type { Corpus, CorpusImage, ImageRecord, LoadedDataset, Problem } from '../data/types.ts';
import { pyLen, pyReplace, pySplitWhitespace } from './python.ts';

export const START_TOKEN = 'startseq';
export const END_TOKEN = 'endseq';

/** The notebook's `clean()` on one caption. */
export function kaggleCleanCaption(caption: string): string {
  let text = caption.toLowerCase();
  text = pyReplace(text, '[^A-Za-z]', '');
  text = pyReplace(text, '\\s+', ' ');
  const words = pySplitWhitespace(text).filter((word) => pyLen(word) > 1);
  return `${START_TOKEN} ${words.join(' ')} ${END_TOKEN}`;
}

/** The notebook's image id: the file name up to its first dot. */
export function kaggleImageId(name: string): string {
  return name.split('.')[0];
}

/** Where the notebook first met an image id: the raw line, and the line its CSV record starts on. */
interface IdOrigin {
  line: number;
  recordLine: number;
}

/** The notebook's `mapping` (image id → raw captions, insertion order) from captions.txt lines. */
function mappingFromCsvLines(lines: NonNullable<LoadedDataset['rawCsvLines']>, origins: Map<string, IdOrigin>): Map<string, string[]> {
  const mapping = new Map<string, string[]>();
  for (const { text, line, recordLine } of lines) {
    const tokens = text.split(',');
    if (pyLen(text) < 2) continue;
    const id = tokens[0].split('.')[0];
    const caption = tokens.slice(1).join(' ');
    const captions = mapping.get(id);
    if (captions) captions.push(caption);
    else {
      mapping.set(id, [caption]);
      origins.set(id, { line, recordLine });
    }
  }
  return mapping;
}

/** One problem per id that names no image, on the line where its CSV record starts. */
function unmatchedIdProblem(file: string, id: string, origin: IdOrigin | undefined): Problem {
  const line = origin?.recordLine;
  const where =
    origin === undefined
      ? ''
      : origin.line === origin.recordLine
        ? ` on line ${origin.line}`
        : ` on line ${origin.line}, inside the quoted caption that starts on line ${origin.recordLine} (the notebook splits on every line break)`;
  return {
    file,
    line,
    subject: JSON.stringify(id),
    code: 'kaggle-unmatched-id',
    message: `the notebook's line.split(',') reading makes the image id ${JSON.stringify(id)}${where}, which names no image: kept, as the notebook keeps it`,
  };
}

/**
 * For token files and Karpathy JSON, which the notebook never read: the same mapping built from the parsed
 * captions, commas turned into spaces as the notebook's split/join does.
 */
function mappingFromRecords(images: ImageRecord[]): Map<string, string[]> {
  const mapping = new Map<string, string[]>();
  for (const record of images) {
    const id = kaggleImageId(record.name);
    const captions = mapping.get(id) ?? [];
    for (const caption of record.captions) captions.push(caption.split(',').join(' '));
    mapping.set(id, captions);
  }
  return mapping;
}

export function buildKaggleCorpus(ds: LoadedDataset): Corpus {
  const origins = new Map<string, IdOrigin>();
  const mapping = ds.rawCsvLines ? mappingFromCsvLines(ds.rawCsvLines, origins) : mappingFromRecords(ds.images);
  const recordById = new Map<string, ImageRecord>();
  for (const record of ds.images) {
    const id = kaggleImageId(record.name);
    if (!recordById.has(id)) recordById.set(id, record);
  }
  const ids = [...mapping.keys()];
  const trainCount = Math.trunc(ids.length * 0.9);
  let maxLength = 0;
  const images: CorpusImage[] = ids.map((id, position) => {
    const record = recordById.get(id);
    const captions = mapping.get(id)!.map(kaggleCleanCaption);
    for (const caption of captions) maxLength = Math.max(maxLength, pySplitWhitespace(caption).length);
    return {
      name: record?.name ?? id,
      split: position < trainCount ? 'train' : 'test',
      file: record?.file ?? null,
      captions,
    };
  });
  const problems = ids
    .filter((id) => !recordById.has(id))
    .map((id) => unmatchedIdProblem(ds.captionFile, id, origins.get(id)));
  return { protocol: 'kaggle', images, maxLength, startToken: START_TOKEN, endToken: END_TOKEN, problems };
}
