/**
 * The data core on the real Flickr8K text files in ../shared/datasets/flickr8k (captions.txt, the token file,
 * the split files and 100 of the 8091 JPEGs). Skipped, saying so, where that folder is absent.
 * Cross-checks: the kaggle numbers (8091 / 40455 / max length 35 / vocab 8464) equal a Python re-run of the
 * notebook's cleaning plus keras_preprocessing's Tokenizer logic; the standard numbers (40000 captions, max
 * length 38, vocab 8319) equal a Python csv + re.sub('[^a-z]+', ' ') re-implementation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../../src/core/data/load.ts';
import { groupProblems } from '../../../../src/core/data/problems.ts';
import { nodeFolder } from '../../../../src/engine/platform/nodeFolder.ts';
import type { LoadedDataset } from '../../../../src/core/data/types.ts';
import { allCaptions, buildCorpus } from '../../../../src/core/text/protocols.ts';
import { Tokenizer } from '../../../../src/core/text/tokenizer.ts';
import { repoRoot } from '../../../paths';
import { skipUnlessPresent } from '../../../prerequisites.ts';

const REPO_ROOT = repoRoot;
const DATA_DIR = resolve(REPO_ROOT, '..', 'shared', 'datasets', 'flickr8k');
const present = existsSync(resolve(DATA_DIR, 'captions.txt')) && existsSync(resolve(DATA_DIR, 'Flickr8k.token.txt'));
const SKIP_NOTE = present ? '' : ` (SKIPPED: real data not found at ${DATA_DIR})`;

const captionCount = (ds: LoadedDataset): number => ds.images.reduce((sum, record) => sum + record.captions.length, 0);
function splitCounts(splits: (string | null)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const split of splits) counts[String(split)] = (counts[String(split)] ?? 0) + 1;
  return counts;
}

describe.skipIf(skipUnlessPresent(present ? '' : `real Flickr8K data not found at ${DATA_DIR}`, '../shared Flickr8K'))(`real Flickr8K data${SKIP_NOTE}`, () => {
  let csv: LoadedDataset;
  let token: LoadedDataset;
  beforeAll(async () => {
    csv = await loadDataset(nodeFolder(DATA_DIR));
    token = await loadDataset(nodeFolder(DATA_DIR), { format: 'flickr8k-token' });
  });

  it('token file: 40460 lines over 8092 images, the .jpg.1 quirk reported with its line', () => {
    const lines = readFileSync(resolve(DATA_DIR, 'Flickr8k.token.txt'), 'utf8').split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(40460);
    expect(token.format).toBe('flickr8k-token');
    expect(token.captionFile).toBe('Flickr8k.token.txt');
    expect(token.images.length).toBe(8092);
    expect(captionCount(token)).toBe(40460);
    const quirk = token.problems.filter((p) => p.code === 'malformed-key');
    expect(quirk).toHaveLength(1);
    expect(quirk[0]).toMatchObject({ file: 'Flickr8k.token.txt', line: 6731 });
    expect(quirk[0].message).toContain('2258277193_586949ec62.jpg.1#0');
    // Its caption is the image's missing #0, kept; the image is in no official split.
    const record = token.images.find((r) => r.name === '2258277193_586949ec62.jpg')!;
    expect(record.captions).toHaveLength(5);
    expect(record.captionLines[0]).toBe(6731);
    expect(record.split).toBeNull();
    expect(token.problems.some((p) => p.code === 'unparsable-line')).toBe(false);
  });

  it('captions.txt: 8091 images, 40455 captions, official splits 6000/1000/1000', () => {
    expect(csv.format).toBe('kaggle-csv');
    expect(csv.captionFile).toBe('captions.txt');
    expect(csv.images.length).toBe(8091);
    expect(captionCount(csv)).toBe(40455);
    expect(csv.rawCsvLines?.filter((l) => l.text.length >= 2).length).toBe(40455);
    expect(splitCounts(csv.images.map((r) => r.split))).toEqual({ train: 6000, val: 1000, test: 1000, null: 91 });
    expect(csv.images[0].name).toBe('1000268201_693b08cb0e.jpg');
    expect(csv.images[0].captionLines).toEqual([2, 3, 4, 5, 6]);
  });

  it('matches the 100 JPEGs present; the 7991 absent ones are kept, each reported, and read as one line', () => {
    expect(csv.imageFiles).toHaveLength(100);
    expect(csv.imageFiles.every((path) => path.startsWith('Images/'))).toBe(true);
    expect(csv.images.filter((r) => r.file !== null)).toHaveLength(100);
    const missing = csv.problems.filter((p) => p.code === 'image-missing');
    expect(missing).toHaveLength(7991);
    expect(missing[0]).toMatchObject({ file: 'captions.txt', line: 2, subject: '1000268201_693b08cb0e.jpg' });
    expect(missing.every((p) => p.line !== undefined)).toBe(true);
    const groups = groupProblems(csv.problems);
    const missingGroup = groups.find((g) => g.code === 'image-missing')!;
    expect(missingGroup.count).toBe(7991);
    expect(missingGroup.problems).toHaveLength(7991);
    expect(missingGroup.message).toMatch(/^7,991 images named in captions\.txt are not in the folder.*: 1000268201_693b08cb0e\.jpg, [^,]+, [^,]+, …$/);
    // One line per kind: the missing images and the ten repeated captions.
    expect(groups.map((g) => [g.code, g.count])).toEqual([['duplicate-caption', 10], ['image-missing', 7991]]);
    for (const code of ['image-truncated', 'image-empty', 'not-an-image', 'image-uncaptioned', 'unparsable-line']) {
      expect(csv.problems.filter((p) => p.code === code)).toEqual([]);
    }
    // Ten captions repeat another caption of the same image (reported, kept so the counts stay 40455).
    expect(csv.problems.filter((p) => p.code === 'duplicate-caption')).toHaveLength(10);
  });

  it('kaggle protocol: 8091 images, 40455 captions, max length 35, vocab 8464, 7281/810 train/test', () => {
    const corpus = buildCorpus(csv, 'kaggle');
    expect(corpus.images.length).toBe(8091);
    expect(allCaptions(corpus).length).toBe(40455);
    expect(corpus.maxLength).toBe(35);
    const tokenizer = new Tokenizer();
    tokenizer.fitOnTexts(allCaptions(corpus));
    expect(tokenizer.vocabSize).toBe(8464);
    expect([...tokenizer.wordIndex.keys()].slice(0, 4)).toEqual(['startseq', 'endseq', 'in', 'the']);
    expect(splitCounts(corpus.images.map((i) => i.split))).toEqual({ train: 7281, test: 810 });
    expect(corpus.images[0].captions[0]).toBe('startseq child in pink dress is climbing up set of stairs in an entry way endseq');
  });

  it('standard protocol: official 6000/1000/1000 images, 40000 captions, max length 38, vocab 8319', () => {
    const corpus = buildCorpus(csv, 'standard');
    expect(splitCounts(corpus.images.map((i) => i.split))).toEqual({ train: 6000, val: 1000, test: 1000 });
    expect(allCaptions(corpus).length).toBe(40000);
    expect(corpus.maxLength).toBe(38);
    const tokenizer = new Tokenizer();
    tokenizer.fitOnTexts(allCaptions(corpus));
    expect(tokenizer.vocabSize).toBe(8319);
    // The 91 captioned images in no split file, one problem each, with the line of their first caption.
    expect(corpus.problems).toHaveLength(91);
    expect(corpus.problems.every((p) => p.code === 'not-in-split' && p.line !== undefined && p.subject !== undefined)).toBe(true);
    expect(corpus.images[0].captions[0]).toBe('startseq a child in a pink dress is climbing up a set of stairs in an entry way endseq');
  });
});
