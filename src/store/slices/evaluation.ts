/**
 * Evaluation slice: BLEU-1..4 on the test split per protocol, the published figures to compare with, and the
 * per-image results for the grid.
 */
import type { Protocol } from '../../core/data/types.ts';
import type { Bleu } from '../../protocol/training.ts';
import type { StudioError } from './features.ts';
import type { SliceSet } from './sliceTypes.ts';

export interface ImageResult {
  name: string;
  prediction: string;
  references: string[];
  /** Sentence BLEU (the grid sorts by it), 0..1. */
  score: number;
  /** Demo images: whether the caption names the right colour and shape of each object (and no other). */
  objectsRight?: boolean;
}

/** The demo score: the share of test images whose caption names every object's colour and shape right. */
export interface DemoScoreResult {
  share: number;
  right: number;
  images: number;
}

/** The model and the dataset a result was computed with: it is current only while both are the loaded ones. */
export interface ResultOwner {
  /** The session's id of the model (ModelInfo.id). */
  modelId: string;
  /** The model as the user knows it (its label). */
  model: string;
  /** The dataset's name as the Dataset panel shows it (datasetSource.name). */
  dataset: string;
}

/** What the Evaluation panel says where a protocol's test split has no image of the folder. */
export const NO_TEST_IMAGES = 'no test images in this folder under this protocol';

export interface ProtocolResult {
  protocol: Protocol;
  /** Null where there was nothing to score (`empty` says why). */
  bleu: Bleu | null;
  images: ImageResult[];
  evaluatedAtMs: number;
  owner: ResultOwner;
  /** Why there is no score, e.g. NO_TEST_IMAGES. */
  empty?: string;
  /** On the demo's shapes (every reference names coloured shapes): the demo score beside BLEU. */
  demoScore?: DemoScoreResult;
}

export type EvaluationStatus = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

export interface EvaluationData {
  status: EvaluationStatus;
  done: number;
  total: number;
  results: Partial<Record<Protocol, ProtocolResult>>;
  sortBy: 'score-desc' | 'score-asc' | 'name';
  error: StudioError | null;
}

export interface ReferenceLine {
  label: string;
  protocol: Protocol;
  metric: keyof Bleu;
  /** 0..1 (papers print BLEU×100). */
  value: number;
  /** For a published range (Show, Attend and Tell: soft vs hard attention). */
  valueHigh?: number;
  source: string;
}

/** The numbers a student compares with; values as 0..1. */
export const referenceLines: ReferenceLine[] = [
  { label: 'Notebook BLEU-1', protocol: 'kaggle', metric: 'bleu1', value: 0.517, source: 'the Kaggle notebook this studio follows' },
  { label: 'Notebook BLEU-2', protocol: 'kaggle', metric: 'bleu2', value: 0.293, source: 'the Kaggle notebook this studio follows' },
  { label: 'Show and Tell BLEU-1', protocol: 'standard', metric: 'bleu1', value: 0.63, source: 'Vinyals et al. 2015, Flickr8K' },
  {
    label: 'Show, Attend and Tell BLEU-4',
    protocol: 'standard',
    metric: 'bleu4',
    value: 0.195,
    valueHigh: 0.213,
    source: 'Xu et al. 2015, Flickr8K (soft 19.5, hard 21.3)',
  },
];

/** The owner of results computed now: the model held and the dataset loaded; null without a model. */
export function currentOwner(state: {
  model: { info: { id?: string; label: string } | null };
  datasetSource: { name: string } | null;
}): ResultOwner | null {
  const info = state.model.info;
  if (!info) return null;
  return { modelId: info.id ?? info.label, model: info.label, dataset: state.datasetSource?.name ?? 'no dataset' };
}

/**
 * Null when `owner` is the model and dataset loaded now; otherwise what the result belongs to, in words,
 * so that it is never read as the current model's ("from the model 'standard run, seed 42' on demo (30
 * images, seed 5)").
 */
export function belongsElsewhere(owner: ResultOwner, current: ResultOwner | null): string | null {
  const otherModel = current === null || current.modelId !== owner.modelId;
  const otherDataset = current === null || current.dataset !== owner.dataset;
  if (!otherModel && !otherDataset) return null;
  const what = otherModel ? `an earlier model ('${owner.model}')` : `this model`;
  return `from ${what} on ${owner.dataset}${otherDataset && current ? `, not on ${current.dataset}` : ''}`;
}

export interface EvaluationSlice {
  evaluation: EvaluationData;
  updateEvaluation(patch: Partial<EvaluationData>): void;
  setProtocolResult(result: ProtocolResult): void;
  setEvaluationSort(sortBy: EvaluationData['sortBy']): void;
}

export function initialEvaluationData(): EvaluationData {
  return { status: 'idle', done: 0, total: 0, results: {}, sortBy: 'score-desc', error: null };
}

/** The grid's order; a new array, the input untouched. Ties keep name order so the grid does not jump. */
export function sortImageResults(images: readonly ImageResult[], sortBy: EvaluationData['sortBy']): ImageResult[] {
  const byName = (a: ImageResult, b: ImageResult) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const copy = images.slice();
  if (sortBy === 'name') return copy.sort(byName);
  const sign = sortBy === 'score-desc' ? -1 : 1;
  return copy.sort((a, b) => sign * (a.score - b.score) || byName(a, b));
}

export function createEvaluationSlice<T extends EvaluationSlice>(set: SliceSet<T>): EvaluationSlice {
  const update = (f: (d: EvaluationData) => EvaluationData) => set((s) => ({ evaluation: f(s.evaluation) }) as Partial<T>);
  return {
    evaluation: initialEvaluationData(),
    updateEvaluation: (patch) => update((d) => ({ ...d, ...patch })),
    setProtocolResult: (result) => update((d) => ({ ...d, results: { ...d.results, [result.protocol]: result } })),
    setEvaluationSort: (sortBy) => update((d) => ({ ...d, sortBy })),
  };
}
