import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoFolder } from '../../../src/core/data/demo';
import { readImageSize } from '../../../src/core/data/imageInfo';
import { loadDataset } from '../../../src/core/data/load';
import { nodeFolder } from '../../../src/engine/platform/nodeFolder';
import type { Corpus, LoadedDataset } from '../../../src/core/data/types';
import { computeStats, logSpacedRanks } from '../../../src/core/stats';
import { buildCorpus } from '../../../src/core/text/protocols';
import { repoRoot } from '../../paths';
import { skipUnlessPresent } from '../../prerequisites.ts';

const flickrDir = path.resolve(repoRoot, '..', 'shared', 'datasets', 'flickr8k');
const hasRealData = existsSync(path.join(flickrDir, 'captions.txt'));
// Independent Python computation of the notebook's cleaning + Keras word splitting (make_stats_golden.py).
const golden = JSON.parse(readFileSync(path.join(repoRoot, 'tests/fixtures/stats-golden.json'), 'utf8')).kaggle;

/** A tiny hand-built dataset whose statistics can be counted by hand. */
function tiny(): { ds: LoadedDataset; corpus: Corpus } {
  const ds: LoadedDataset = {
    format: 'kaggle-csv',
    captionFile: 'captions.txt',
    images: [],
    imageFiles: ['Images/a.jpg', 'Images/b.jpg', 'Images/c.jpg', 'Images/stray.jpg'],
    rawCsvLines: null,
    problems: [
      { file: 'captions.txt', line: 4, code: 'empty-caption', message: 'empty' },
      { file: 'Images/stray.jpg', code: 'image-uncaptioned', message: 'no caption' },
    ],
  };
  const corpus: Corpus = {
    protocol: 'standard',
    startToken: 'startseq',
    endToken: 'endseq',
    maxLength: 6,
    problems: [{ file: 'captions.txt', code: 'no-words', message: 'no letters' }],
    images: [
      { name: 'a.jpg', split: 'train', file: 'Images/a.jpg', captions: ['startseq a dog runs endseq', 'startseq a dog endseq'] },
      { name: 'b.jpg', split: 'train', file: 'Images/b.jpg', captions: ['startseq the cat sleeps endseq'] },
      { name: 'c.jpg', split: 'test', file: null, captions: ['startseq a dog and a cat endseq', 'startseq dog endseq', 'startseq a cat endseq'] },
    ],
  };
  return { ds, corpus };
}

describe('computeStats on a hand-built dataset', () => {
  const { ds, corpus } = tiny();
  const sizes = new Map([
    ['Images/a.jpg', { width: 500, height: 375 }],
    ['Images/b.jpg', { width: 333, height: 500 }],
    ['Images/c.jpg', { width: 500, height: 375 }],
  ]);
  const stats = computeStats(ds, corpus, sizes);

  it('counts images, captions, splits and warnings', () => {
    expect(stats.images).toBe(3);
    expect(stats.imageFiles).toBe(4);
    expect(stats.imagesWithFile).toBe(2);
    expect(stats.captions).toBe(6);
    expect(stats.captionsPerImage.histogram).toEqual([
      { captions: 1, images: 1 },
      { captions: 2, images: 1 },
      { captions: 3, images: 1 },
    ]);
    expect(stats.captionsPerImage.mean).toBe(2);
    expect(stats.splits).toEqual({ train: 2, val: 0, test: 1 });
    expect(stats.splitCaptions).toEqual({ train: 3, val: 0, test: 3 });
    expect(stats.warnings).toEqual({ total: 3, byCode: { 'empty-caption': 1, 'image-uncaptioned': 1, 'no-words': 1 } });
    expect(stats.maxLength).toBe(6);
  });

  it('caption lengths exclude the markers', () => {
    // lengths: 3, 2, 3, 5, 1, 2
    expect(stats.captionLength.histogram.map((b) => b.captions)).toEqual([0, 1, 2, 2, 0, 1]);
    expect(stats.captionLength).toMatchObject({ min: 1, max: 5, median: 2.5, mean: 16 / 6 });
  });

  it('word frequencies: vocabulary, top words, rare words, coverage, zipf', () => {
    // a:5 dog:4 cat:3 runs, the, sleeps, and: 1 each
    expect(stats.distinctWords).toBe(7);
    expect(stats.vocabSize).toBe(7 + 2 + 1); // Keras: + startseq, endseq, + padding index 0
    expect(stats.tokens).toBe(16);
    expect(stats.topWords.slice(0, 4)).toEqual([
      { word: 'a', count: 5 },
      { word: 'dog', count: 4 },
      { word: 'cat', count: 3 },
      { word: 'runs', count: 1 }, // ties keep first appearance
    ]);
    expect(stats.rareWords).toEqual([
      { maxCount: 1, words: 4, share: 4 / 7 },
      { maxCount: 2, words: 4, share: 4 / 7 },
      { maxCount: 5, words: 7, share: 1 },
      { maxCount: 10, words: 7, share: 1 },
    ]);
    expect(stats.coverage[0]).toEqual({ topK: 100, share: 1 });
    expect(stats.zipf).toEqual([1, 2, 3, 4, 5, 6, 7].map((rank) => ({ rank, count: [5, 4, 3, 1, 1, 1, 1][rank - 1] })));
  });

  it('image dimensions from the given sizes', () => {
    const dims = stats.imageDimensions!;
    expect(dims.measured).toBe(3);
    expect(dims.width).toMatchObject({ min: 333, max: 500, median: 500 });
    expect(dims.commonSizes[0]).toEqual({ width: 500, height: 375, images: 2 });
    expect(dims.orientation).toEqual({ landscape: 2, portrait: 1, square: 0 });
    expect(dims.aspectHistogram).toEqual([
      { aspect: 0.6, images: 1 },
      { aspect: 1.3, images: 2 },
    ]);
    expect(computeStats(ds, corpus).imageDimensions).toBeNull();
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
  });
});

describe('logSpacedRanks', () => {
  it('keeps 1 and n, at most the requested points, increasing', () => {
    const ranks = logSpacedRanks(8461, 200);
    expect(ranks[0]).toBe(1);
    expect(ranks[ranks.length - 1]).toBe(8461);
    expect(ranks.length).toBeLessThanOrEqual(201);
    expect(ranks.length).toBeGreaterThan(100);
    expect(ranks.every((r, i) => i === 0 || r > ranks[i - 1])).toBe(true);
    expect(logSpacedRanks(0, 200)).toEqual([]);
  });
});

describe('computeStats on the demo dataset', () => {
  it('gives a small vocabulary and 70/15/15 splits', async () => {
    const ds = await loadDataset(demoFolder({ images: 100, seed: 3 }));
    const stats = computeStats(ds, buildCorpus(ds, 'standard'));
    expect(stats.images).toBe(100);
    expect(stats.captions).toBe(500);
    expect(stats.splits).toEqual({ train: 70, val: 15, test: 15 });
    expect(stats.distinctWords).toBeLessThan(60);
    expect(stats.warnings.total).toBe(0);
  });
});

describe.skipIf(skipUnlessPresent(hasRealData ? '' : `${flickrDir}/captions.txt is absent`, '../shared Flickr8K'))(
  `computeStats on the real Flickr8K folder${hasRealData ? '' : ' — skipped: ../shared/datasets/flickr8k absent'}`,
  () => {
    it('kaggle protocol matches the independent Python computation; dimensions of the 100 JPEGs', async () => {
      const folder = nodeFolder(flickrDir);
      const ds = await loadDataset(folder, { format: 'kaggle-csv' });
      const corpus = buildCorpus(ds, 'kaggle');
      const sizes = new Map<string, { width: number; height: number }>();
      for (const file of ds.imageFiles) {
        const size = readImageSize(await folder.read(file));
        if (size) sizes.set(file, size);
      }
      const started = performance.now();
      const stats = computeStats(ds, corpus, sizes);
      const elapsedMs = performance.now() - started;
      console.log(`computeStats on ${stats.captions} captions: ${elapsedMs.toFixed(0)} ms`);

      expect(stats.images).toBe(golden.images);
      expect(stats.captions).toBe(golden.captions);
      expect(stats.maxLength).toBe(golden.maxLength);
      expect(stats.vocabSize).toBe(golden.vocabSize);
      expect(stats.distinctWords).toBe(golden.distinctWords);
      expect(stats.tokens).toBe(golden.tokens);
      expect(stats.topWords.slice(0, 5).map((w) => [w.word, w.count])).toEqual(golden.top5);
      for (const r of stats.rareWords) expect(r.words).toBe(golden.seenAtMost[String(r.maxCount)]);
      for (const c of stats.coverage) expect(c.share).toBeCloseTo(golden.coverage[String(c.topK)], 12);
      expect(stats.captionLength.histogram.map((b) => b.captions)).toEqual(golden.lengthHistogram);
      expect(stats.splits).toEqual({ train: 7281, val: 0, test: 810 });
      expect(stats.zipf.length).toBeLessThanOrEqual(200);

      const dims = stats.imageDimensions!;
      expect(dims.measured).toBe(100);
      expect(dims.width.max).toBe(500);
      expect(dims.commonSizes[0]).toEqual({ width: 500, height: 375, images: 25 });
      expect(dims.orientation.landscape + dims.orientation.portrait + dims.orientation.square).toBe(100);
      expect(stats.imagesWithFile).toBe(100);
      expect(stats.warnings.byCode['image-missing']).toBe(8091 - 100);
    });
  },
);
