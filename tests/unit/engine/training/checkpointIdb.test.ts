import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../../src/core/data/folders';
import { IdbCheckpointStore } from '../../../../src/engine/training/checkpointIdb';
import { initialWeights, type CaptionModelConfig } from '../../../../src/model/captionModel';
import { encodeCaptionModel, loadCaptionModel } from '../../../../src/model/weightsIo';

const config: CaptionModelConfig = { vocabSize: 7, maxLength: 5, featureDim: 3, units: 2, embedDim: 2, dropout: 0.4 };

describe('IndexedDB checkpoint store (browser)', () => {
  it('saves a model folder per run, replaces it whole, and loads it back', async () => {
    const store = await IdbCheckpointStore.open('run-a', 'test-checkpoints');
    expect(await store.load()).toBeNull();
    await store.save(encodeCaptionModel(config, initialWeights(config, 1), '{"t":1}', { epochsTrained: 1 }));
    const second = initialWeights(config, 2);
    await store.save({ ...encodeCaptionModel(config, second, '{"t":2}', { epochsTrained: 2 }), 'trainer.json': '{}' });
    const files = await store.load();
    expect(Object.keys(files!).sort()).toEqual(['model.json', 'tokenizer.json', 'trainer.json', 'weights.bin']);
    const loaded = await loadCaptionModel(memoryFolder('idb', files!));
    expect(loaded.meta.epochsTrained).toBe(2);
    expect(Array.from(loaded.weights[2])).toEqual(Array.from(second[2]));
    const other = await IdbCheckpointStore.open('run-b', 'test-checkpoints');
    expect(await other.load()).toBeNull();
    expect(await store.runs()).toEqual(['run-a']);
    store.close();
    other.close();
  });
});
