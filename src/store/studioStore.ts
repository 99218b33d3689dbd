/**
 * The studio's store: one zustand vanilla store made by a factory (a fresh one per test), built from slices.
 * It holds plain data only: no tensors, workers, devices or Folder objects (those stay in the slices'
 * closures or in the engine). A later slice (features, training, evaluation) is one more spread below.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createDatasetSlice, type DatasetSlice } from './slices/dataset.ts';
import { defaultDeps, type StudioDeps } from './deps.ts';
import { createUiSlice, type UiSlice } from './slices/ui.ts';
import { createBackendChoiceSlice, type BackendChoiceSlice } from './slices/backendChoice.ts';
import { createEvaluationSlice, type EvaluationSlice } from './slices/evaluation.ts';
import { createFeaturesSlice, type FeaturesSlice } from './slices/features.ts';
import { createModelSlice, type ModelSlice } from './slices/model.ts';
import { createPlaygroundSlice, type PlaygroundSlice } from './slices/playground.ts';
import { createTrainingSlice, type TrainingSlice } from './slices/training/index.ts';

export type StudioState = UiSlice & DatasetSlice & FeaturesSlice & TrainingSlice & EvaluationSlice & PlaygroundSlice & ModelSlice & BackendChoiceSlice;
export type StudioStore = StoreApi<StudioState>;

export function createStudioStore(deps: Partial<StudioDeps> = {}): StudioStore {
  const fullDeps: StudioDeps = { ...defaultDeps(), ...deps };
  return createStore<StudioState>()((...args) => ({
    ...createUiSlice(...args),
    ...createDatasetSlice(fullDeps)(...args),
    ...createFeaturesSlice<StudioState>(args[0]),
    ...createTrainingSlice<StudioState>(args[0]),
    ...createEvaluationSlice<StudioState>(args[0]),
    ...createPlaygroundSlice<StudioState>(args[0]),
    ...createModelSlice<StudioState>(args[0]),
    ...createBackendChoiceSlice<StudioState>(args[0]),
  }));
}
