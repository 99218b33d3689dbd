/**
 * Corpus BLEU with the exact semantics of nltk 3.8's `nltk.translate.bleu_score.corpus_bleu` without smoothing
 * (the scorer every Flickr8K notebook uses), so numbers compare 1:1 with a notebook's:
 * - modified n-gram precision per sentence, clipped by the maximum count in any one reference; each sentence's
 *   denominator is max(1, number of hypothesis n-grams), so a hypothesis shorter than n still adds 1;
 * - numerators and denominators summed over the corpus (micro average), orders 1..len(weights);
 * - closest reference length per hypothesis (ties go to the shorter reference), brevity penalty
 *   1 when c > r, 0 when c = 0, else exp(1 - r/c);
 * - no unigram match at all → 0;
 * - an order with 0 matches is replaced by sys.float_info.min (nltk's method0 does that, with a warning), so
 *   with a non-zero weight the score collapses to ~1e-77 (not exactly 0), and with weight 0 it contributes 0;
 * - the weighted log precisions are summed with an exactly rounded sum like Python's math.fsum.
 * No DOM, no tfjs.
 */

import type { Protocol } from '../data/types.ts';

/** Python's sys.float_info.min: the smallest positive normal double, which nltk substitutes for a zero precision. */
const PY_FLOAT_MIN = 2.2250738585072014e-308;

export const BLEU_WEIGHTS = {
  bleu1: [1, 0, 0, 0],
  bleu2: [1 / 2, 1 / 2, 0, 0],
  bleu3: [1 / 3, 1 / 3, 1 / 3, 0],
  bleu4: [1 / 4, 1 / 4, 1 / 4, 1 / 4],
} as const;

export interface BleuScores {
  bleu1: number;
  bleu2: number;
  bleu3: number;
  bleu4: number;
}

/** Corpus-level sufficient statistics; `numerators[n-1]`/`denominators[n-1]` belong to n-grams of order n. */
export interface BleuCounts {
  numerators: number[];
  denominators: number[];
  /** Sum of hypothesis lengths (c). */
  hypLength: number;
  /** Sum of closest reference lengths (r). */
  refLength: number;
  sentences: number;
}

/** Key of an n-gram that cannot collide whatever characters tokens contain (length-prefixed tokens). */
function ngramKey(tokens: readonly string[], start: number, n: number): string {
  let key = '';
  for (let k = start; k < start + n; k++) key += `${tokens[k].length}:${tokens[k]}`;
  return key;
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = ngramKey(tokens, i, n);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** nltk's modified_precision as (numerator, denominator). */
function modifiedPrecision(references: readonly (readonly string[])[], hypothesis: readonly string[], n: number): [number, number] {
  const counts = ngramCounts(hypothesis, n);
  if (counts.size === 0) return [0, 1];
  const maxRefCounts = new Map<string, number>();
  for (const reference of references) {
    const refCounts = ngramCounts(reference, n);
    for (const key of counts.keys()) {
      const c = refCounts.get(key) ?? 0;
      if (c > (maxRefCounts.get(key) ?? 0)) maxRefCounts.set(key, c);
    }
  }
  let numerator = 0;
  let total = 0;
  for (const [key, count] of counts) {
    numerator += Math.min(count, maxRefCounts.get(key) ?? 0);
    total += count;
  }
  return [numerator, Math.max(1, total)];
}

/** nltk's closest_ref_length: minimises (|r - c|, r). */
function closestRefLength(references: readonly (readonly string[])[], hypLength: number): number {
  let best = -1;
  for (const reference of references) {
    const r = reference.length;
    if (best < 0) {
      best = r;
      continue;
    }
    const d = Math.abs(r - hypLength);
    const bestD = Math.abs(best - hypLength);
    if (d < bestD || (d === bestD && r < best)) best = r;
  }
  return best;
}

export function brevityPenalty(closestRefLength: number, hypLength: number): number {
  if (hypLength > closestRefLength) return 1;
  if (hypLength === 0) return 0;
  return Math.exp(1 - closestRefLength / hypLength);
}

/** Collects the corpus statistics for n-gram orders 1..maxOrder. */
export function bleuCounts(
  references: readonly (readonly (readonly string[])[])[],
  hypotheses: readonly (readonly string[])[],
  maxOrder = 4,
): BleuCounts {
  if (references.length !== hypotheses.length) {
    throw new Error(`BLEU: ${hypotheses.length} hypotheses but ${references.length} reference lists; they must pair up`);
  }
  const numerators = new Array<number>(maxOrder).fill(0);
  const denominators = new Array<number>(maxOrder).fill(0);
  let hypLength = 0;
  let refLength = 0;
  for (let s = 0; s < hypotheses.length; s++) {
    const refs = references[s];
    const hyp = hypotheses[s];
    if (refs.length === 0) throw new Error(`BLEU: hypothesis ${s + 1} has no reference`);
    for (let n = 1; n <= maxOrder; n++) {
      const [num, den] = modifiedPrecision(refs, hyp, n);
      numerators[n - 1] += num;
      denominators[n - 1] += den;
    }
    hypLength += hyp.length;
    refLength += closestRefLength(refs, hyp.length);
  }
  return { numerators, denominators, hypLength, refLength, sentences: hypotheses.length };
}

/** Exactly rounded floating-point sum (Shewchuk's algorithm as in CPython's math.fsum). */
export function fsum(values: readonly number[]): number {
  const partials: number[] = [];
  for (let x of values) {
    let i = 0;
    for (let j = 0; j < partials.length; j++) {
      let y = partials[j];
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[i++] = lo;
      x = hi;
    }
    partials.length = i;
    partials.push(x);
  }
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round half to even across the remaining partials, as CPython does.
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

/** BLEU for one weight vector from precomputed counts (counts must cover at least weights.length orders). */
export function bleuFromCounts(counts: BleuCounts, weights: readonly number[]): number {
  if (counts.sentences === 0 || counts.numerators[0] === 0) return 0;
  const bp = brevityPenalty(counts.refLength, counts.hypLength);
  const terms: number[] = [];
  const orders = Math.min(weights.length, counts.numerators.length);
  for (let i = 0; i < orders; i++) {
    const p = counts.numerators[i] === 0 ? PY_FLOAT_MIN : counts.numerators[i] / counts.denominators[i];
    terms.push(weights[i] * Math.log(p));
  }
  return bp * Math.exp(fsum(terms));
}

/**
 * nltk's corpus_bleu(list_of_references, hypotheses, weights) with no smoothing.
 * references[s] holds the tokenised references of hypotheses[s]. An empty corpus scores 0 (nltk would raise).
 */
export function corpusBleu(
  references: readonly (readonly (readonly string[])[])[],
  hypotheses: readonly (readonly string[])[],
  weights: readonly number[] = BLEU_WEIGHTS.bleu4,
): number {
  return bleuFromCounts(bleuCounts(references, hypotheses, weights.length), weights);
}

/** BLEU-1..4 with cumulative uniform weights, from one pass over the corpus. */
export function bleu1to4(
  references: readonly (readonly (readonly string[])[])[],
  hypotheses: readonly (readonly string[])[],
): BleuScores {
  const counts = bleuCounts(references, hypotheses, 4);
  return {
    bleu1: bleuFromCounts(counts, BLEU_WEIGHTS.bleu1),
    bleu2: bleuFromCounts(counts, BLEU_WEIGHTS.bleu2),
    bleu3: bleuFromCounts(counts, BLEU_WEIGHTS.bleu3),
    bleu4: bleuFromCounts(counts, BLEU_WEIGHTS.bleu4),
  };
}

/** Python's str.split(): runs of whitespace separate, no empty tokens. */
export function whitespaceTokens(text: string): string[] {
  return text.split(/\s+/).filter((t) => t.length > 0);
}

export interface ScoreCaptionsInput {
  /** Image id → reference captions as the corpus holds them (cleaned, start/end markers included). */
  references: ReadonlyMap<string, readonly string[]>;
  /** Image id → one generated caption (as the decoder returns it; for kaggle it starts with the start marker). */
  hypotheses: ReadonlyMap<string, string>;
  protocol: Protocol;
  /** Which split the images come from, reported back (e.g. 'test'). */
  split?: string | null;
  startToken?: string;
  endToken?: string;
}

export interface CaptionScore extends BleuScores {
  protocol: Protocol;
  /**
   * 'kept': the Kaggle notebook scores `caption.split()` of captions still wrapped in startseq/endseq against
   * a prediction that starts with startseq (and ends with endseq when decoding stopped there), so the markers
   * count as matched words. 'stripped': the standard protocol removes every marker token from both sides.
   */
  markers: 'kept' | 'stripped';
  tokenization: 'whitespace';
  split: string | null;
  /** Images scored (hypotheses that have references), in hypothesis order. */
  images: number;
  referencesPerImage: { min: number; max: number; mean: number };
  /** c and r of the brevity penalty. */
  hypothesisTokens: number;
  closestReferenceTokens: number;
  brevityPenalty: number;
  /** n-gram matches / n-grams per order 1..4. */
  precisions: { matches: number; total: number }[];
  /** Hypothesis ids with no reference: skipped, reported. */
  missingReferences: string[];
}

/** Scores generated captions under a protocol and reports exactly what was scored. */
export function scoreCaptions(input: ScoreCaptionsInput): CaptionScore {
  const startToken = input.startToken ?? 'startseq';
  const endToken = input.endToken ?? 'endseq';
  const markers = input.protocol === 'kaggle' ? 'kept' : 'stripped';
  const prepare = (text: string): string[] => {
    const tokens = whitespaceTokens(text);
    return markers === 'kept' ? tokens : tokens.filter((t) => t !== startToken && t !== endToken);
  };
  const refs: string[][][] = [];
  const hyps: string[][] = [];
  const missingReferences: string[] = [];
  let minRefs = Infinity;
  let maxRefs = 0;
  let sumRefs = 0;
  for (const [image, hypothesis] of input.hypotheses) {
    const imageRefs = input.references.get(image);
    if (!imageRefs || imageRefs.length === 0) {
      missingReferences.push(image);
      continue;
    }
    refs.push(imageRefs.map(prepare));
    hyps.push(prepare(hypothesis));
    minRefs = Math.min(minRefs, imageRefs.length);
    maxRefs = Math.max(maxRefs, imageRefs.length);
    sumRefs += imageRefs.length;
  }
  const counts = bleuCounts(refs, hyps, 4);
  return {
    bleu1: bleuFromCounts(counts, BLEU_WEIGHTS.bleu1),
    bleu2: bleuFromCounts(counts, BLEU_WEIGHTS.bleu2),
    bleu3: bleuFromCounts(counts, BLEU_WEIGHTS.bleu3),
    bleu4: bleuFromCounts(counts, BLEU_WEIGHTS.bleu4),
    protocol: input.protocol,
    markers,
    tokenization: 'whitespace',
    split: input.split ?? null,
    images: hyps.length,
    referencesPerImage: {
      min: hyps.length ? minRefs : 0,
      max: maxRefs,
      mean: hyps.length ? sumRefs / hyps.length : 0,
    },
    hypothesisTokens: counts.hypLength,
    closestReferenceTokens: counts.refLength,
    brevityPenalty: counts.sentences ? brevityPenalty(counts.refLength, counts.hypLength) : 0,
    precisions: counts.numerators.map((matches, i) => ({ matches, total: counts.denominators[i] })),
    missingReferences,
  };
}
