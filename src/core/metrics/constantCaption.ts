/**
 * The constant-caption baseline: the score of saying one and the same caption for every image. A model that
 * does not beat it has learnt the language of the captions but nothing of the pictures; with image features
 * dealt to the wrong images (the control run), a model must stay at or below it.
 *
 * The baseline here is the best such caption among candidates (e.g. every training caption), chosen per BLEU
 * order on the very references it is scored on: a ceiling for any constant caption a model could learn from
 * its training text. No tfjs, no DOM.
 */
import type { Protocol } from '../data/types.ts';
import { scoreCaptions, type BleuScores } from './bleu.ts';

export interface ConstantCaptionBaseline {
  /** Per order, the highest BLEU-n any single candidate reaches when said for every image. */
  best: BleuScores;
  /** The candidate reaching best.bleu1 and the one reaching best.bleu4. */
  bestForBleu1: string;
  bestForBleu4: string;
  candidates: number;
}

/**
 * @param references image → its references, as the corpus holds them (markers included).
 * @param candidates captions as the corpus holds them (e.g. the training split's); duplicates are scored once.
 */
export function constantCaptionBaseline(
  references: ReadonlyMap<string, readonly string[]>,
  candidates: readonly string[],
  protocol: Protocol,
  markers: { startToken?: string; endToken?: string } = {},
): ConstantCaptionBaseline {
  const unique = [...new Set(candidates)];
  if (unique.length === 0) throw new RangeError('constantCaptionBaseline: no candidate caption');
  const best: BleuScores = { bleu1: -1, bleu2: -1, bleu3: -1, bleu4: -1 };
  let bestForBleu1 = unique[0];
  let bestForBleu4 = unique[0];
  for (const caption of unique) {
    const score = scoreCaptions({ references, hypotheses: new Map([...references.keys()].map((name) => [name, caption])), protocol, ...markers });
    if (score.bleu1 > best.bleu1) bestForBleu1 = caption;
    if (score.bleu4 > best.bleu4) bestForBleu4 = caption;
    best.bleu1 = Math.max(best.bleu1, score.bleu1);
    best.bleu2 = Math.max(best.bleu2, score.bleu2);
    best.bleu3 = Math.max(best.bleu3, score.bleu3);
    best.bleu4 = Math.max(best.bleu4, score.bleu4);
  }
  return { best, bestForBleu1, bestForBleu4, candidates: unique.length };
}
