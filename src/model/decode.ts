/**
 * Decoding. The notebook re-runs the whole pre-padded prefix for every new word; with pre-padding and
 * masking that equals carrying the LSTM state one token at a time, which is what these decoders do.
 *
 * - greedyDecode: batched; every unfinished image advances one word per model call (finished images drop
 *   out of the batch).
 * - beamSearch: width k per image, the k beams of an image advance as one batch.
 * Both can report, for each generated word, the top-k words and probabilities the model offered there.
 */
import * as tf from '@tensorflow/tfjs';
import { nextMacrotask } from '../core/macrotask.ts';
import { asParams, decodeStep, imageBranch, type CaptionModelConfig } from './captionModel.ts';

export interface DecodeOptions {
  startId: number;
  endId: number;
  /** Most words generated after the start marker (the notebook loops max_length times). */
  maxSteps: number;
  /** Report the top-k alternatives at every step (0 = don't). */
  topK?: number;
  /** Greedy only: called with each generated token as it is chosen (image: its index in `features`). */
  onToken?(image: number, id: number, alternatives: StepAlternatives | undefined): void;
  /** Checked before every step: an abort rejects with an AbortError. */
  signal?: AbortSignal;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('captioning cancelled'), { name: 'AbortError' });
}

export interface StepAlternatives {
  ids: number[];
  probs: number[];
}

export interface DecodedCaption {
  /** Generated ids after the start marker; ends with endId when the model ended the caption. */
  tokens: number[];
  /** Sum of the log-probabilities of the generated tokens. */
  logProb: number;
  /**
   * Per model step, the top-k alternatives (when asked): one per generated token, plus one for a last step
   * whose best word was index 0 (no word), which ends the caption as the notebook's `word is None` does.
   */
  alternatives?: StepAlternatives[];
}

/**
 * Greedy decoding of many images at once.
 * @param features [images · featureDim]
 */
export async function greedyDecode(
  params: readonly tf.Tensor[],
  config: CaptionModelConfig,
  features: Float32Array,
  options: DecodeOptions,
): Promise<DecodedCaption[]> {
  const n = features.length / config.featureDim;
  const p = asParams(params);
  const results: DecodedCaption[] = Array.from({ length: n }, () => ({
    tokens: [],
    logProb: 0,
    ...(options.topK ? { alternatives: [] } : {}),
  }));
  let rows = Array.from({ length: n }, (_, i) => i); // result index of each live row
  let image = tf.tidy(() => imageBranch(p, tf.tensor2d(features, [n, config.featureDim]), { dropout: 0 }));
  let h: tf.Tensor2D = tf.zeros([n, config.units]);
  let c: tf.Tensor2D = tf.zeros([n, config.units]);
  let tokens = new Int32Array(n).fill(options.startId);
  try {
    for (let step = 0; step < options.maxSteps && rows.length > 0; step++) {
      // A turn for the page between steps: on wasm each step's read resolves at once, and a page that decoded
      // an epoch's BLEU sample (a run in workers evaluates on the page's thread) froze for half a second.
      if (step > 0) await nextMacrotask();
      throwIfAborted(options.signal);
      const out = tf.tidy(() => {
        const s = decodeStep(p, image, tf.tensor1d(tokens, 'int32'), h, c);
        const best = tf.topk(s.probs, Math.max(1, options.topK ?? 1));
        return { h: s.h, c: s.c, ids: best.indices, probs: best.values };
      });
      h.dispose();
      c.dispose();
      h = out.h;
      c = out.c;
      const k = out.ids.shape[1] as number;
      const [ids, probs] = [(await out.ids.data()) as Int32Array, (await out.probs.data()) as Float32Array];
      out.ids.dispose();
      out.probs.dispose();
      const keep: number[] = [];
      rows.forEach((resultIndex, r) => {
        const word = ids[r * k];
        const result = results[resultIndex];
        const alternatives = options.topK ? { ids: Array.from(ids.subarray(r * k, r * k + k)), probs: Array.from(probs.subarray(r * k, r * k + k)) } : undefined;
        if (alternatives) result.alternatives?.push(alternatives);
        if (word === 0) return; // the notebook's `word is None`: index 0 is no word, stop
        result.tokens.push(word);
        result.logProb += Math.log(probs[r * k]);
        options.onToken?.(resultIndex, word, alternatives);
        if (word !== options.endId) keep.push(r);
      });
      const nextTokens = Int32Array.from(keep, (r) => ids[r * k]);
      if (keep.length < rows.length && keep.length > 0) {
        // Shrink the batch to the images still writing.
        const index = tf.tensor1d(keep, 'int32');
        const [image2, h2, c2] = [tf.gather(image, index), tf.gather(h, index), tf.gather(c, index)] as tf.Tensor2D[];
        index.dispose();
        [image, h, c].forEach((t) => t.dispose());
        [image, h, c] = [image2, h2, c2];
      }
      rows = keep.map((r) => rows[r]);
      tokens = nextTokens;
    }
  } finally {
    [image, h, c].forEach((t) => t.dispose());
  }
  return results;
}

interface Beam {
  tokens: number[];
  logProb: number;
  alternatives: StepAlternatives[];
}

/**
 * Beam search of width `beamWidth` for one image.
 * @param features [featureDim]
 */
export async function beamSearch(
  params: readonly tf.Tensor[],
  config: CaptionModelConfig,
  features: Float32Array,
  beamWidth: number,
  options: DecodeOptions,
): Promise<DecodedCaption> {
  const p = asParams(params);
  const k = Math.max(1, beamWidth);
  const report = Math.max(k, options.topK ?? 0);
  const imageOne = tf.tidy(() => imageBranch(p, tf.tensor2d(features, [1, config.featureDim]), { dropout: 0 }));
  let beams: Beam[] = [{ tokens: [], logProb: 0, alternatives: [] }];
  let h: tf.Tensor2D = tf.zeros([1, config.units]);
  let c: tf.Tensor2D = tf.zeros([1, config.units]);
  const finished: Beam[] = [];
  try {
    for (let step = 0; step < options.maxSteps && beams.length > 0; step++) {
      throwIfAborted(options.signal);
      const last = Int32Array.from(beams, (b) => (b.tokens.length ? b.tokens[b.tokens.length - 1] : options.startId));
      const out = tf.tidy(() => {
        const image = tf.tile(imageOne, [beams.length, 1]) as tf.Tensor2D;
        const s = decodeStep(p, image, tf.tensor1d(last, 'int32'), h, c);
        const best = tf.topk(s.probs, report);
        return { h: s.h, c: s.c, ids: best.indices, probs: best.values };
      });
      const ids = (await out.ids.data()) as Int32Array;
      const probs = (await out.probs.data()) as Float32Array;
      out.ids.dispose();
      out.probs.dispose();
      const candidates: { beam: number; word: number; logProb: number; alt: StepAlternatives }[] = [];
      beams.forEach((beam, b) => {
        const alt = { ids: Array.from(ids.subarray(b * report, b * report + (options.topK || k))), probs: Array.from(probs.subarray(b * report, b * report + (options.topK || k))) };
        for (let j = 0; j < k; j++) {
          candidates.push({ beam: b, word: ids[b * report + j], logProb: beam.logProb + Math.log(probs[b * report + j]), alt });
        }
      });
      candidates.sort((x, y) => y.logProb - x.logProb);
      const next: Beam[] = [];
      const keepRows: number[] = [];
      for (const cand of candidates) {
        if (next.length >= k) break;
        const parent = beams[cand.beam];
        const beam: Beam = { tokens: [...parent.tokens, cand.word], logProb: cand.logProb, alternatives: [...parent.alternatives, cand.alt] };
        if (cand.word === options.endId || cand.word === 0) {
          if (cand.word === 0) beam.tokens.pop();
          finished.push(beam);
        } else {
          next.push(beam);
          keepRows.push(cand.beam);
        }
      }
      const index = tf.tensor1d(keepRows.length ? keepRows : [0], 'int32');
      const [h2, c2] = [tf.gather(out.h, index), tf.gather(out.c, index)] as tf.Tensor2D[];
      index.dispose();
      [h, c, out.h, out.c].forEach((t) => t.dispose());
      [h, c] = [h2, c2];
      beams = next;
      // Stop when the best live beam can no longer beat the worst kept finished one (log-probs only fall).
      if (finished.length >= k) {
        const kthFinished = finished.map((f) => f.logProb).sort((x, y) => y - x)[k - 1];
        if (beams.every((b) => b.logProb < kthFinished)) break;
      }
    }
  } finally {
    [imageOne, h, c].forEach((t) => t.dispose());
  }
  const pool = finished.length ? finished : beams;
  const best = pool.reduce((a, b) => (b.logProb > a.logProb ? b : a));
  return { tokens: best.tokens, logProb: best.logProb, ...(options.topK ? { alternatives: best.alternatives } : {}) };
}

/** Words of a decoded caption, markers dropped. */
export function captionWords(tokens: readonly number[], indexWord: (id: number) => string | undefined, markers: { start: string; end: string }): string[] {
  const words: string[] = [];
  for (const id of tokens) {
    const word = indexWord(id);
    if (word === undefined || word === markers.end) break;
    if (word !== markers.start) words.push(word);
  }
  return words;
}
