/**
 * Model slice: which captioning model the studio holds (trained here, imported archive, converted notebook
 * model), export/import progress, and whether a saved run is waiting to be restored after a reload.
 */
import type { StudioError } from './features.ts';
import type { SliceSet } from './sliceTypes.ts';

export interface ModelInfo {
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
}

export type ModelOperation = 'idle' | 'exporting' | 'importing' | 'saving' | 'restoring';

export interface SavedRunSummary {
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

export function createModelSlice<T extends ModelSlice>(set: SliceSet<T>): ModelSlice {
  return {
    model: initialModelData(),
    updateModel: (patch) => set((s) => ({ model: { ...s.model, ...patch } }) as Partial<T>),
  };
}
