/**
 * Features slice: which backbone and weights, the extraction's progress (images/s, ETA) and the cache status.
 * The work itself runs in engine/studioSession.ts; this is what the panel draws.
 */
import type { FeatureIdentity } from '../../model/backbones/types.ts';
import type { SliceSet } from './sliceTypes.ts';

export type BackboneChoice = 'vgg16' | 'mobilenet' | 'demo';
/** 'builtin': the weights this project ships (the demo CNN's, public/models/demo-backbone). */
export type WeightsChoice = 'builtin' | 'random' | 'files' | 'url';

/** Where the page fetches the demo CNN's committed weights (model/backbones/demoBackbone.ts DEMO_BACKBONE_URL). */
export const BUILTIN_DEMO_WEIGHTS_URL = 'models/demo-backbone/model.json';
export type ExtractionStatus = 'idle' | 'loading-weights' | 'running' | 'paused' | 'done' | 'aborted' | 'failed';

export interface StudioError {
  /** What a student reads: what happened and what to do. */
  message: string;
  /** One click away: the technical detail (error name, message, stack). */
  detail?: string;
}

export interface FeaturesData {
  backbone: BackboneChoice;
  weights: WeightsChoice;
  weightsUrl: string;
  /** Names of the picked weight files (model.json + shards), for display only. */
  weightsFiles: string[];
  /** 'random (seed 42)' or where the weights came from, once loaded. */
  weightsLabel: string | null;
  status: ExtractionStatus;
  done: number;
  total: number;
  /** Of `done`, how many came from the cache rather than the network. */
  fromCache: number;
  imagesPerSecond: number | null;
  etaMs: number | null;
  featureDim: number | null;
  /** Backbone, weights and their identity of the features extracted (null before, or when not reported). */
  identity: FeatureIdentity | null;
  /** Images of the dataset that already have features for the chosen backbone and weights. */
  cached: number | null;
  /** Vectors of the extracted backbone and weights in the page's feature cache, and their bytes; null until read. */
  cacheSize: { vectors: number; bytes: number } | null;
  /** Bytes of the feature vectors the page holds for training (one per image extracted); null without features. */
  memoryBytes: number | null;
  /** The page's browser storage (the feature cache and checkpoints live there); null until read. */
  storage: { usageBytes: number; quotaBytes: number; persisted: boolean | null } | null;
  error: StudioError | null;
  /** The user picked backbone or weights: a dataset loaded later keeps them instead of its defaults. */
  chosen: boolean;
}

export interface FeaturesSlice {
  features: FeaturesData;
  /** The user's choice (kept when another dataset loads). */
  setFeatureOptions(patch: Partial<Pick<FeaturesData, 'backbone' | 'weights' | 'weightsUrl' | 'weightsFiles'>>): void;
  /** The defaults for a dataset (featureDefaultsFor), applied unless the user chose. */
  applyFeatureDefaults(patch: Pick<FeaturesData, 'backbone' | 'weights'>): void;
  updateExtraction(patch: Partial<FeaturesData>): void;
  /** Progress from the extractor: computes images/s and ETA from the timing of successive reports. */
  reportExtractionProgress(progress: { done: number; total: number; fromCache?: number; elapsedMs: number }): void;
}

export function initialFeaturesData(): FeaturesData {
  return {
    // The studio opens on the demo, whose pictures the demo CNN was pretrained on.
    backbone: 'demo',
    weights: 'builtin',
    weightsUrl: '',
    weightsFiles: [],
    weightsLabel: null,
    status: 'idle',
    done: 0,
    total: 0,
    fromCache: 0,
    imagesPerSecond: null,
    etaMs: null,
    featureDim: null,
    identity: null,
    cached: null,
    cacheSize: null,
    memoryBytes: null,
    storage: null,
    error: null,
    chosen: false,
  };
}

/**
 * The backbone a dataset starts with: the demo CNN with its built-in weights for the demo (it sees the shapes);
 * MobileNet otherwise, with random weights (labelled) until the user gives real ones: this project ships no
 * ImageNet weights, and the demo CNN knows nothing of photos.
 */
export function featureDefaultsFor(kind: 'demo' | 'folder'): Pick<FeaturesData, 'backbone' | 'weights'> {
  return kind === 'demo' ? { backbone: 'demo', weights: 'builtin' } : { backbone: 'mobilenet', weights: 'random' };
}

/** The weights a backbone can have: the demo CNN's are built in; VGG16 and MobileNet's come from the user. */
export function weightsChoicesFor(backbone: BackboneChoice): WeightsChoice[] {
  return backbone === 'demo' ? ['builtin', 'random'] : ['random', 'files', 'url'];
}

/** images/s counts only images computed in this session (cache hits would flatter the rate). */
export function extractionRates(p: { done: number; total: number; fromCache?: number; elapsedMs: number }): {
  imagesPerSecond: number | null;
  etaMs: number | null;
} {
  const computed = p.done - (p.fromCache ?? 0);
  if (p.elapsedMs <= 0 || computed <= 0) return { imagesPerSecond: null, etaMs: null };
  const imagesPerSecond = (computed * 1000) / p.elapsedMs;
  const remaining = Math.max(p.total - p.done, 0);
  return { imagesPerSecond, etaMs: (remaining / imagesPerSecond) * 1000 };
}

/** How the Features panel names the weights of features of this identity (random ones loudly). */
export function weightsLabelOf(identity: FeatureIdentity): string {
  if (identity.weights === 'random') return `RANDOM weights (${identity.weightsId}): captions will not describe the images`;
  if (identity.backbone === 'demo' && identity.weights.location.endsWith(BUILTIN_DEMO_WEIGHTS_URL)) {
    return `built in: the demo CNN pretrained by this project on the demo's shapes (${identity.weights.location})`;
  }
  return `${identity.weights.kind}: ${identity.weights.location}`;
}

export function createFeaturesSlice<T extends FeaturesSlice>(set: SliceSet<T>): FeaturesSlice {
  const update = (f: (d: FeaturesData) => FeaturesData) => set((s) => ({ features: f(s.features) }) as Partial<T>);
  return {
    features: initialFeaturesData(),
    setFeatureOptions: (patch) =>
      update((d) => {
        const next = { ...d, ...patch, chosen: true };
        // A backbone keeps weights it can have; otherwise it gets its first choice (the demo CNN: built in).
        if (patch.backbone && !weightsChoicesFor(next.backbone).includes(next.weights)) next.weights = weightsChoicesFor(next.backbone)[0];
        // Another backbone or other weights make the current features (and cache count) not apply.
        return { ...next, status: d.status === 'running' ? d.status : 'idle', cached: null, weightsLabel: null, error: null };
      }),
    applyFeatureDefaults: (patch) =>
      update((d) =>
        d.chosen || d.status === 'running' || (d.backbone === patch.backbone && d.weights === patch.weights)
          ? d
          : { ...d, ...patch, status: 'idle', cached: null, weightsLabel: null, error: null },
      ),
    updateExtraction: (patch) => update((d) => ({ ...d, ...patch })),
    reportExtractionProgress: (p) =>
      update((d) => ({ ...d, done: p.done, total: p.total, fromCache: p.fromCache ?? 0, ...extractionRates(p) })),
  };
}
