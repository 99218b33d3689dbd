import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bleu1to4, brevityPenalty, corpusBleu, fsum, scoreCaptions, type BleuScores } from '../../../../src/core/metrics/bleu';
import { repoRoot } from '../../../paths';
import { skipUnlessPresent } from '../../../prerequisites.ts';

const captionsPath = path.resolve(repoRoot, '..', 'shared', 'datasets', 'flickr8k', 'captions.txt');
const hasRealData = existsSync(captionsPath);

interface GoldenCase {
  name: string;
  note?: string;
  tokenization?: 'kaggle' | 'standard';
  hypIndex?: number;
  maxWords?: number | null;
  images?: string[];
  references?: string[][];
  hypotheses?: string[];
  expected: BleuScores;
}
// Produced by tests/fixtures/make_bleu_golden.py with nltk 3.8's corpus_bleu (Python not needed here).
const golden = JSON.parse(readFileSync(path.join(repoRoot, 'tests/fixtures/bleu-golden.json'), 'utf8')) as {
  nltk: string;
  cases: GoldenCase[];
};

const split = (text: string) => text.split(/\s+/).filter(Boolean);

function expectScores(actual: BleuScores, expected: BleuScores) {
  for (const key of ['bleu1', 'bleu2', 'bleu3', 'bleu4'] as const) {
    expect(Math.abs(actual[key] - expected[key]), `${key}: ${actual[key]} vs nltk ${expected[key]}`).toBeLessThan(1e-9);
    // The ~1e-77 values of zero-match orders must agree in magnitude too, not only within 1e-9.
    if (expected[key] !== 0) expect(actual[key] / expected[key]).toBeCloseTo(1, 9);
    else expect(actual[key]).toBe(0);
  }
}

/** The same tokenisations as the golden script. */
function tokenizeRealCaptions(text: string): Map<string, { kaggle: string[]; standard: string[] }[]> {
  const images = new Map<string, { kaggle: string[]; standard: string[] }[]>();
  for (const line of text.split('\n').slice(1)) {
    if (line.length < 2) continue;
    const pieces = line.split(',');
    const image = pieces[0];
    const kaggleWords = pieces.slice(1).join(' ').toLowerCase().split(/\s+/).filter((w) => w.length > 1);
    const standard = pieces.slice(1).join(',').toLowerCase().replace(/[^a-z]+/g, ' ').split(' ').filter(Boolean);
    const list = images.get(image) ?? [];
    list.push({ kaggle: ['startseq', ...kaggleWords, 'endseq'], standard });
    images.set(image, list);
  }
  return images;
}

describe('BLEU against nltk golden values', () => {
  it('fixture comes from nltk', () => {
    expect(golden.nltk).toMatch(/^3\./);
    expect(golden.cases.length).toBeGreaterThan(15);
  });

  for (const c of golden.cases.filter((g) => g.references)) {
    it(`inline case ${c.name}`, () => {
      const refs = c.references!.map((rs) => rs.map(split));
      const hyps = c.hypotheses!.map(split);
      expectScores(bleu1to4(refs, hyps), c.expected);
      // corpusBleu with the weights a notebook passes gives the same values.
      expect(Math.abs(corpusBleu(refs, hyps, [0.5, 0.5, 0, 0]) - c.expected.bleu2)).toBeLessThan(1e-9);
    });
  }

  const realCases = golden.cases.filter((g) => g.images);
  it.skipIf(skipUnlessPresent(hasRealData ? '' : `${captionsPath} is absent`, '../shared Flickr8K captions'))(`real captions (${realCases.map((c) => c.name).join(', ')})${hasRealData ? '' : ' — skipped: ../shared/datasets/flickr8k/captions.txt absent'}`, () => {
    const images = tokenizeRealCaptions(readFileSync(captionsPath, 'utf8'));
    expect(realCases.length).toBe(4);
    for (const c of realCases) {
      const refs: string[][][] = [];
      const hyps: string[][] = [];
      for (const image of c.images!) {
        const toks = images.get(image)!.map((x) => x[c.tokenization!]);
        const h = c.hypIndex ?? 0;
        hyps.push(toks[h].slice(0, c.maxWords ?? undefined));
        refs.push(toks.filter((_, i) => i !== h));
      }
      expect(hyps.length).toBe(200);
      expectScores(bleu1to4(refs, hyps), c.expected);
    }
  });
});

describe('BLEU details', () => {
  it('brevity penalty follows nltk', () => {
    expect(brevityPenalty(10, 12)).toBe(1);
    expect(brevityPenalty(10, 10)).toBe(1);
    expect(brevityPenalty(10, 0)).toBe(0);
    expect(brevityPenalty(13, 12)).toBeCloseTo(Math.exp(1 - 13 / 12), 15);
  });

  it('fsum is exactly rounded', () => {
    expect(fsum([0.1, 0.2, 0.3])).toBe(0.6);
    expect(fsum([1e100, 1, -1e100])).toBe(1);
    expect(fsum([])).toBe(0);
  });

  it('an empty corpus scores 0 and mismatched lengths or missing references throw', () => {
    expect(bleu1to4([], [])).toEqual({ bleu1: 0, bleu2: 0, bleu3: 0, bleu4: 0 });
    expect(() => bleu1to4([[['a']]], [])).toThrow(/pair up/);
    expect(() => bleu1to4([[]], [['a']])).toThrow(/no reference/);
  });

  it('tokens containing separators do not collide', () => {
    // With a naive join(' ') key, ['a b', 'c'] and ['a', 'b c'] would be the same bigram.
    expect(corpusBleu([[['a b', 'c']]], [['a', 'b c']], [0, 1])).toBeLessThan(1e-100);
  });
});

describe('scoreCaptions', () => {
  const mixed = golden.cases.find((c) => c.name === 'mixed-corpus')!;
  const stripped = golden.cases.find((c) => c.name === 'mixed-corpus-stripped')!;
  const references = new Map(mixed.references!.map((rs, i) => [`img${i}.jpg`, rs]));
  const hypotheses = new Map(mixed.hypotheses!.map((h, i) => [`img${i}.jpg`, h]));

  it('kaggle keeps the markers, as the notebook scores them', () => {
    const result = scoreCaptions({ references, hypotheses, protocol: 'kaggle', split: 'test' });
    expectScores(result, mixed.expected);
    expect(result.markers).toBe('kept');
    expect(result.split).toBe('test');
    expect(result.images).toBe(3);
    expect(result.referencesPerImage).toEqual({ min: 1, max: 2, mean: 5 / 3 });
    expect(result.precisions[0].total).toBe(7 + 5 + 7);
    expect(result.hypothesisTokens).toBe(19);
  });

  it('standard strips the markers from both sides', () => {
    const result = scoreCaptions({ references, hypotheses, protocol: 'standard' });
    expectScores(result, stripped.expected);
    expect(result.markers).toBe('stripped');
    expect(result.split).toBeNull();
    expect(result.hypothesisTokens).toBe(13);
  });

  it('reports hypotheses without references instead of scoring them', () => {
    const extra = new Map(hypotheses);
    extra.set('unknown.jpg', 'startseq a cat endseq');
    const result = scoreCaptions({ references, hypotheses: extra, protocol: 'kaggle' });
    expect(result.missingReferences).toEqual(['unknown.jpg']);
    expect(result.images).toBe(3);
    expectScores(result, mixed.expected);
  });
});
