/**
 * The `standard` text protocol: captions as the CSV/token/JSON parser read them, lowercased, every run of
 * non-letters turned into one space (one-letter words such as "a" are kept), wrapped in startseq/endseq for
 * training (BLEU strips them). Splits: the dataset's own (Flickr8K's 6000/1000/1000 split files, Karpathy's
 * field); images in no split are left out. A dataset with no split at all gets a seeded 80/10/10 split.
 */
import type { Corpus, CorpusImage, LoadedDataset, Problem, Split } from '../data/types.ts';
import { mulberry32, shuffle } from '../rng.ts';
import { END_TOKEN, START_TOKEN } from './kaggleProtocol.ts';

export interface StandardOptions {
  /** Seed of the derived split when the dataset names none (default 42). */
  seed?: number;
}

/** Lowercase letters (any script) and single spaces; '' when the caption has no letter. */
export function standardCleanCaption(caption: string): string {
  return caption.toLowerCase().replace(/[^\p{L}\p{M}]+/gu, ' ').trim();
}

export function buildStandardCorpus(ds: LoadedDataset, options: StandardOptions = {}): Corpus {
  const problems: Problem[] = [];
  const hasSplits = ds.images.some((record) => record.split !== null);
  let splitOf: (index: number) => Split | null;
  if (hasSplits) {
    splitOf = (index) => ds.images[index].split;
  } else {
    const seed = options.seed ?? 42;
    const order = shuffle(mulberry32(seed), ds.images.map((_, index) => index));
    const trainCount = Math.round(order.length * 0.8);
    const valCount = Math.round(order.length * 0.1);
    const derived = new Array<Split>(order.length);
    order.forEach((imageIndex, position) => {
      derived[imageIndex] = position < trainCount ? 'train' : position < trainCount + valCount ? 'val' : 'test';
    });
    splitOf = (index) => derived[index];
    problems.push({
      file: ds.captionFile,
      code: 'derived-split',
      message: `${ds.captionFile} names no train/val/test split (no Flickr_8k.*Images.txt files): used a random 80/10/10 split of the images (seed ${seed})`,
    });
  }

  const images: CorpusImage[] = [];
  let maxLength = 0;
  ds.images.forEach((record, index) => {
    const split = splitOf(index);
    if (split === null) {
      problems.push({
        file: ds.captionFile,
        line: record.captionLines[0],
        subject: record.name,
        code: 'not-in-split',
        message: `${record.name} (line ${record.captionLines[0]}) is in no split file: left out of the standard protocol`,
      });
      return;
    }
    const captions: string[] = [];
    record.captions.forEach((caption, captionIndex) => {
      const cleaned = standardCleanCaption(caption);
      if (cleaned === '') {
        problems.push({
          file: ds.captionFile,
          line: record.captionLines[captionIndex],
          subject: record.name,
          code: 'no-words',
          message: `caption of ${record.name} on line ${record.captionLines[captionIndex]} has no letters; left out`,
        });
        return;
      }
      const wrapped = `${START_TOKEN} ${cleaned} ${END_TOKEN}`;
      maxLength = Math.max(maxLength, wrapped.split(' ').length);
      captions.push(wrapped);
    });
    if (captions.length > 0) images.push({ name: record.name, split, file: record.file, captions });
  });
  return { protocol: 'standard', images, maxLength, startToken: START_TOKEN, endToken: END_TOKEN, problems };
}
