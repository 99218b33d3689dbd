/**
 * The Evaluation panel's work: greedy captions of test images, scored under each protocol's rules, with a
 * per-image BLEU-1 for the grid. One caption per image whatever the protocol: the model is the same, only
 * the references (and whether markers count) differ.
 */
import type { Corpus, CorpusImage, Protocol } from '../core/data/types.ts';
import { demoObjectScore, referenceObjects } from '../core/metrics/demoScore.ts';
import { currentOwner, NO_TEST_IMAGES, type ImageResult, type ProtocolResult, type ResultOwner } from '../store/slices/evaluation.ts';
import type { StudioStore } from '../store/studioStore.ts';
import type { Captioner } from '../model/captioner.ts';
import type { StudioEngines } from './ports.ts';

/** Images decoded in one batch: progress and a cancel are seen between batches. */
const BATCH_IMAGES = 16;

export interface EvaluationPlan {
  protocol: Protocol;
  corpus: Corpus;
  images: CorpusImage[];
}

/**
 * What to caption under each protocol: up to `limit` test images that are in the folder and have features.
 * `empty`: protocols whose test split has no image of the folder (said as NO_TEST_IMAGES, never scored);
 * `withoutFeatures`: protocols with test images but none with features yet.
 */
export function planEvaluation(
  protocols: readonly Protocol[],
  corpusOf: (protocol: Protocol) => Corpus | null,
  features: ReadonlyMap<string, Float32Array>,
  limit: number,
): { plans: EvaluationPlan[]; empty: Protocol[]; withoutFeatures: Protocol[] } {
  const plans: EvaluationPlan[] = [];
  const empty: Protocol[] = [];
  const withoutFeatures: Protocol[] = [];
  for (const protocol of protocols) {
    const corpus = corpusOf(protocol);
    if (!corpus) continue;
    const inFolder = corpus.images.filter((image) => image.split === 'test' && image.file !== null);
    const images = inFolder.filter((image) => features.has(image.name)).slice(0, limit);
    if (inFolder.length === 0) empty.push(protocol);
    else if (images.length === 0) withoutFeatures.push(protocol);
    else plans.push({ protocol, corpus, images });
  }
  return { plans, empty, withoutFeatures };
}

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
  /** The model and dataset the results belong to. */
  owner: ResultOwner;
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
    const demo = demoScoreOf(results);
    options.onResult({
      protocol: plan.protocol,
      bleu: score(plan.protocol, references, hypotheses),
      images: results,
      evaluatedAtMs: Date.now(),
      owner: options.owner,
      ...(demo ? { demoScore: demo } : {}),
    });
  }
  options.onProgress(done);
  return done;
}

/**
 * The demo score of a protocol's results, marking each image right or not; null unless every image's
 * references name coloured demo shapes (the demo, or a folder the demo command wrote), where it means nothing.
 */
function demoScoreOf(results: ImageResult[]): ProtocolResult['demoScore'] | null {
  const expected = results.map((r) => referenceObjects(r.references));
  if (results.length === 0 || expected.some((objects) => objects.length === 0)) return null;
  const scored = demoObjectScore(results.map((r, k) => ({ name: r.name, caption: r.prediction, expected: expected[k] })));
  results.forEach((r) => (r.objectsRight = scored.perImage.get(r.name) ?? false));
  return { share: scored.share, right: scored.right, images: scored.images };
}

const notReady = (message: string) => Object.assign(new Error(message), { name: 'NotReady' });

/**
 * The Evaluation panel's run, written into the store as it goes: protocols with no test image of the folder
 * get their NO_TEST_IMAGES result (replacing an older one), the others are captioned and scored; every result
 * names the model and dataset it belongs to. Throws NotReady (no dataset, no features) or the abort.
 */
export async function evaluateIntoStore(options: {
  store: StudioStore;
  corpusOf: (protocol: Protocol) => Corpus | null;
  protocols: readonly Protocol[];
  limit: number;
  captioner: Captioner;
  score: NonNullable<StudioEngines['score']>;
  features: ReadonlyMap<string, Float32Array>;
  signal: AbortSignal;
}): Promise<void> {
  const { store, features } = options;
  const owner = currentOwner(store.getState()) as ResultOwner;
  const { plans, empty, withoutFeatures } = planEvaluation(options.protocols, options.corpusOf, features, options.limit);
  for (const protocol of empty) store.getState().setProtocolResult({ protocol, bleu: null, images: [], evaluatedAtMs: Date.now(), owner, empty: NO_TEST_IMAGES });
  const total = plans.reduce((n, p) => n + p.images.length, 0);
  if (total === 0 && withoutFeatures.length > 0) throw notReady('No test images with features: extract the features of the dataset first.');
  if (total === 0 && empty.length === 0) throw notReady('Load a dataset first (Dataset tab).');
  store.getState().updateEvaluation({ status: 'running', done: 0, total, error: null });
  const done = await evaluatePlans({
    plans,
    captioner: options.captioner,
    score: options.score,
    features,
    owner,
    signal: options.signal,
    onProgress: (n) => store.getState().updateEvaluation({ done: n }),
    onResult: (result) => store.getState().setProtocolResult(result),
  });
  store.getState().updateEvaluation({ status: 'done', done });
}
