/**
 * The studio's store: one zustand vanilla store made by a factory (a fresh one per test), built from slices.
 * It holds plain data only: no tensors, workers, devices or Folder objects (those stay in the slices'
 * closures or in the engine). A later slice (features, training, evaluation) is one more spread below.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createDatasetSlice, type DatasetSlice } from './datasetSlice.ts';
import { defaultDeps, type StudioDeps } from './deps.ts';
import { createUiSlice, type UiSlice } from './uiSlice.ts';

export type StudioState = UiSlice & DatasetSlice;
export type StudioStore = StoreApi<StudioState>;

export function createStudioStore(deps: Partial<StudioDeps> = {}): StudioStore {
  const fullDeps: StudioDeps = { ...defaultDeps(), ...deps };
  return createStore<StudioState>()((...args) => ({
    ...createUiSlice(...args),
    ...createDatasetSlice(fullDeps)(...args),
  }));
}
