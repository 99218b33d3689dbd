/**
 * The Training panel's defaults follow the data, as the CLI's do (defaultTrainConfigFor, one function for
 * both): the default demo's 210 training images and the demo CNN's 39 numbers per image get batch 16,
 * learning rate 0.005, 15 epochs and no dropout; a Flickr8K-sized folder with CNN features keeps the notebook's.
 * Settings the user changed stay as they are; the panel says what the others are defaults for.
 */
import type { Protocol } from '../../core/data/types.ts';
import { defaultTrainConfigFor } from '../../engine/training/trainer.ts';
import { DATA_DEFAULT_KEYS } from '../../protocol/training.ts';
import { featureDimOf as backboneFeatureDim } from '../../model/backbones/featureWidths.ts';
import type { StudioState, StudioStore } from '../../store/studioStore.ts';
import type { DatasetAccess } from '../ports.ts';

/** Numbers per image of the features in hand, or (before extraction) of the chosen backbone's: narrow or wide is what counts. */
function featureDimOf(state: StudioState): { dim: number; known: boolean } {
  const { features } = state;
  if (features.featureDim) return { dim: features.featureDim, known: true };
  return { dim: backboneFeatureDim(features.backbone), known: false };
}

function trainImagesOf(dataset: DatasetAccess, protocol: Protocol): number | null {
  const corpus = dataset.corpus(protocol);
  return corpus ? corpus.images.filter((image) => image.split === 'train' && image.file !== null).length : null;
}

/** Applies the data's defaults now and whenever the dataset, its protocol, the backbone or the features change. */
export function followDataDefaults(store: StudioStore, dataset: DatasetAccess): () => void {
  const apply = () => {
    const state = store.getState();
    const trainImages = trainImagesOf(dataset, state.training.config.protocol);
    if (trainImages === null) return;
    const { dim, known } = featureDimOf(state);
    const defaults = defaultTrainConfigFor({ trainImages, featureDim: dim });
    const basis = `defaults for ${trainImages} training images and ${dim} numbers per image${known ? '' : ` (the ${state.features.backbone} backbone's)`}`;
    state.applyDataDefaults(Object.fromEntries(DATA_DEFAULT_KEYS.map((key) => [key, defaults[key]])), basis);
  };
  apply();
  return store.subscribe((state, prev) => {
    if (
      state.datasetSource !== prev.datasetSource ||
      state.datasetStatus !== prev.datasetStatus ||
      state.features.featureDim !== prev.features.featureDim ||
      state.features.backbone !== prev.features.backbone ||
      state.training.config.protocol !== prev.training.config.protocol
    ) {
      apply();
    }
  });
}
