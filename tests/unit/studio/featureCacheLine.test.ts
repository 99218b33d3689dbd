/** After an extraction the Features panel's state holds the feature cache's size and the bytes held in the page. */
import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../src/core/data/folders.ts';
import { loadDataset } from '../../../src/core/data/load.ts';
import type { FeatureIdentity } from '../../../src/model/backbones/types.ts';
import { FeatureWork } from '../../../src/studio/features.ts';
import type { StudioEngines } from '../../../src/studio/ports.ts';
import { testStore } from '../../support/studioStore.ts';

const identity: FeatureIdentity = {
  backbone: 'demo',
  backboneId: 'demo-test',
  weights: 'random',
  weightsId: 'seed-1',
  featureDim: 5,
  inputSize: 8,
  resize: 'bilinear',
};

describe('FeatureWork', () => {
  it('reads the cache size of the extracted identity and the bytes of the features it holds', async () => {
    const folder = memoryFolder('d', { 'captions.txt': 'image,caption\na.png,one\nb.png,two\nc.png,three\n' });
    const loaded = { folder, dataset: await loadDataset(folder, { checkImages: false }) };
    // Three images named, none in the folder: give them files so the extraction is handed all three.
    for (const image of loaded.dataset.images) image.file = image.name;
    const asked: FeatureIdentity[] = [];
    const engines: StudioEngines = {
      async extract(options) {
        options.onStatus('running');
        const features = new Map(options.images.map((image) => [image.name, new Float32Array(identity.featureDim)]));
        return { features, featureDim: identity.featureDim, identity, weightsLabel: 'random', skipped: [] };
      },
      async featureCacheSize(of) {
        asked.push(of);
        return { vectors: 7, bytes: 7 * of.featureDim * 4 };
      },
    };
    const { store } = testStore();
    const work = new FeatureWork(store, { loaded: () => loaded, corpus: () => null }, engines);
    await work.extract();
    await expect.poll(() => store.getState().features.cacheSize).toEqual({ vectors: 7, bytes: 140 });
    expect(asked).toEqual([identity]);
    expect(store.getState().features.memoryBytes).toBe(3 * 5 * 4);
    work.dispose();
  });
});
