/**
 * Model slice: which captioning model the studio holds (trained here, imported archive, converted notebook
 * model), export/import progress, and whether a saved run is waiting to be restored after a reload.
 */
import type { FeatureIdentity } from '../../model/backbones/types.ts';
import type { StudioError } from './features.ts';
import type { SliceSet } from './sliceTypes.ts';

export interface ModelInfo {
  /** Given by the session when it takes the model: results (evaluation) name the model they belong to. */
  id?: string;
  source: 'trained' | 'archive' | 'notebook';
  /** File name or run label shown to the user. */
  label: string;
  vocabSize: number;
  maxLength: number;
  featureDim: number;
  /** Epoch of the checkpoint, when trained here. */
  epoch?: number;
  /** Trainable weights by Keras layer name and shape, in the model's order. */
  weights?: { name: string; shape: number[] }[];
  /**
   * The features it was trained on: backbone, weights and their identity, width. Null where the model does
   * not record them (a notebook model, an archive exported before they were recorded).
   */
  features?: FeatureIdentity | null;
}

export type ModelOperation = 'idle' | 'exporting' | 'importing' | 'saving' | 'restoring';

export interface SavedRunSummary {
  /** The id results name the run's model by: the model restored after a reload keeps it. */
  modelId?: string;
  savedAtMs: number;
  epoch: number;
  steps: number;
  label: string;
}

export interface ModelData {
  info: ModelInfo | null;
  operation: ModelOperation;
  /** Last export: file name and size, to confirm the download. */
  lastExport: { fileName: string; bytes: number } | null;
  savedRun: SavedRunSummary | null;
  error: StudioError | null;
}

export interface ModelSlice {
  model: ModelData;
  updateModel(patch: Partial<ModelData>): void;
}

export function initialModelData(): ModelData {
  return { info: null, operation: 'idle', lastExport: null, savedRun: null, error: null };
}

function weightsText(identity: FeatureIdentity): string {
  const w = identity.weights;
  if (w === 'random') return `random weights (${identity.weightsId})`;
  const where = w.kind === 'url' ? `downloaded from ${w.location}` : w.kind === 'files' ? `picked as files (${w.location})` : `read from ${w.location}`;
  return `weights ${where}, identity ${identity.weightsId.length > 23 ? `${identity.weightsId.slice(0, 23)}…` : identity.weightsId}`;
}

/** Which features a model needs (for the playground and evaluation), as the sentence the studio shows. */
export function weightsNeeded(info: Pick<ModelInfo, 'featureDim' | 'features'>): string {
  const f = info.features;
  if (f) {
    return `The playground and evaluation need features of ${f.backboneId} (${f.featureDim} numbers per image) with the ${weightsText(f)}, as this model was trained on: choose that backbone and those weights in the Features tab.`;
  }
  const guess = info.featureDim === 4096 ? ", as VGG16's fc2 layer gives" : info.featureDim % 256 === 0 && info.featureDim <= 1024 ? `, as MobileNet v1 with alpha ${info.featureDim / 1024} gives` : '';
  return `This model does not record which backbone and weights made its features: the playground and evaluation need features of ${info.featureDim} numbers per image${guess}, from the backbone and weights it was trained on.`;
}

/** Null when features of `have` numbers per image fit the model; otherwise why not and what it needs. */
export function featureWidthRefusal(info: Pick<ModelInfo, 'featureDim' | 'features'>, have: { featureDim: number; backboneId?: string }): string | null {
  if (have.featureDim === info.featureDim) return null;
  const of = have.backboneId ? ` (${have.backboneId})` : '';
  return `These image features have ${have.featureDim} numbers per image${of}, but the model expects ${info.featureDim}. ${weightsNeeded(info)}`;
}

export function createModelSlice<T extends ModelSlice>(set: SliceSet<T>): ModelSlice {
  return {
    model: initialModelData(),
    updateModel: (patch) => set((s) => ({ model: { ...s.model, ...patch } }) as Partial<T>),
  };
}
