/**
 * The Evaluation panel's work: greedy captions of test images (batched, the one Captioner), scored under
 * each protocol's rules, with a per-image BLEU-1 for the grid. One caption per image whatever the protocol:
 * the model is the same, only the references (and whether markers count) differ.
 */
import type { Corpus, CorpusImage, Protocol } from '../core/data/types.ts';
import type { Captioner } from '../model/captioner.ts';
import type { ImageResult, ProtocolResult } from '../store/slices/evaluation.ts';
import type { StudioEngines } from './ports.ts';

export interface EvaluationPlan {
  protocol: Protocol;
  corpus: Corpus;
  images: CorpusImage[];
}

/** Images decoded in one batch: progress and a cancel are seen between batches. */
const BATCH_IMAGES = 16;

/** A reference as a person reads it: without the start and end markers. */
export function stripMarkers(caption: string, corpus: { startToken: string; endToken: string }): string {
  return caption
    .split(/\s+/)
    .filter((w) => w && w !== corpus.startToken && w !== corpus.endToken)
    .join(' ');
}

export async function evaluatePlans(options: {
  plans: EvaluationPlan[];
  captioner: Captioner;
  score: NonNullable<StudioEngines['score']>;
  features: ReadonlyMap<string, Float32Array>;
  signal: AbortSignal;
  onProgress(done: number): void;
  onResult(result: ProtocolResult): void;
}): Promise<number> {
  const { captioner, score, features, signal } = options;
  /** Image name → the decoder's words (the end marker included when decoding stopped there). */
  const decoded = new Map<string, { words: string[]; caption: string }>();
  let done = 0;
  for (const plan of options.plans) {
    const references = new Map<string, string[]>();
    const hypotheses = new Map<string, string>();
    const results: ImageResult[] = [];
    for (let first = 0; first < plan.images.length; first += BATCH_IMAGES) {
      if (signal.aborted) throw Object.assign(new Error('evaluation cancelled'), { name: 'AbortError' });
      const batch = plan.images.slice(first, first + BATCH_IMAGES);
      const toDecode = batch.filter((image) => !decoded.has(image.name));
      if (toDecode.length) {
        const captions = await captioner.caption(toDecode.map((image) => features.get(image.name)!), { signal });
        toDecode.forEach((image, k) => decoded.set(image.name, { words: captions[k].decodedWords, caption: captions[k].text }));
      }
      for (const image of batch) {
        const out = decoded.get(image.name)!;
        // As the notebook scores it: the start marker, then the words the decoder produced (end marker
        // included when it stopped there). The standard protocol drops markers on both sides anyway.
        const hypothesis = [plan.corpus.startToken, ...out.words].join(' ');
        references.set(image.name, image.captions);
        hypotheses.set(image.name, hypothesis);
        const one = score(plan.protocol, new Map([[image.name, image.captions]]), new Map([[image.name, hypothesis]]));
        results.push({ name: image.name, prediction: out.caption, references: image.captions.map((c) => stripMarkers(c, plan.corpus)), score: one.bleu1 });
        done++;
      }
      options.onProgress(done);
    }
    options.onResult({ protocol: plan.protocol, bleu: score(plan.protocol, references, hypotheses), images: results, evaluatedAtMs: Date.now() });
  }
  options.onProgress(done);
  return done;
}
