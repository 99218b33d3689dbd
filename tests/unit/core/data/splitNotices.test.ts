/** Which split a protocol leaves without an image of the folder, said as one sentence with a way out. */
import { describe, expect, it } from 'vitest';
import { splitNotices } from '../../../../src/core/data/splitNotices.ts';
import type { Corpus, CorpusImage, Split } from '../../../../src/core/data/types.ts';

const image = (name: string, split: Split, present = true): CorpusImage => ({ name, split, file: present ? `Images/${name}` : null, captions: ['startseq a endseq'] });
const corpus = (protocol: Corpus['protocol'], images: CorpusImage[], derived = false): Corpus => ({
  protocol,
  images,
  maxLength: 3,
  startToken: 'startseq',
  endToken: 'endseq',
  problems: derived ? [{ file: 'captions.txt', code: 'derived-split', message: 'derived' }] : [],
});

describe('splitNotices', () => {
  it('says nothing when train and test both have images in the folder (absent files do not count)', () => {
    expect(splitNotices(corpus('standard', [image('a', 'train'), image('b', 'test'), image('c', 'val', false)]))).toEqual([]);
  });

  it('names where the images are, the consequence, and the other protocol only where it has them', () => {
    const standard = corpus('standard', [image('a', 'test'), image('b', 'val'), image('c', 'train', false)]);
    const kaggleWithTrain = corpus('kaggle', [image('a', 'train'), image('b', 'test')]);
    const kaggleWithout = corpus('kaggle', [image('a', 'test'), image('b', 'test')]);
    expect(splitNotices(standard, { format: 'kaggle-csv', other: kaggleWithTrain }).map((n) => n.message)).toEqual([
      'standard: none of the 2 images is in the train split (1 val, 1 test): nothing to train on; use kaggle, or add Flickr_8k.trainImages.txt images',
    ]);
    expect(splitNotices(standard, { format: 'kaggle-csv', other: kaggleWithout })[0].message).toMatch(/nothing to train on; add Flickr_8k\.trainImages\.txt images$/);
    expect(splitNotices(standard, { format: 'karpathy-json', captionFile: 'dataset_flickr8k.json' })[0].message).toMatch(
      /add images that dataset_flickr8k\.json puts in its train split$/,
    );
  });

  it('an empty test split: no test images in this folder under this protocol', () => {
    const kaggle = corpus('kaggle', [image('a', 'train')]);
    expect(splitNotices(kaggle, { captionFile: 'captions.txt' })).toEqual([
      {
        protocol: 'kaggle',
        split: 'test',
        message:
          'kaggle: the only image is in the train split: no test images in this folder under this protocol (evaluation has nothing to score); add images from the last 10% of captions.txt',
      },
    ]);
  });

  it('gives a folder with no image at all no notice (the loader says so), and a derived split "add more images"', () => {
    expect(splitNotices(corpus('standard', [image('a', 'train', false)]))).toEqual([]);
    expect(splitNotices(corpus('standard', [image('a', 'train')], true))[0].message).toMatch(/; add more images$/);
  });
});
