import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../../src/core/data/folders';
import { IdbCheckpointStore, PageCheckpointCopy } from '../../../../src/engine/training/checkpointIdb';
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

  it("keeps the last complete checkpoint in the page when the browser's IndexedDB loses it, and stores it there again", async () => {
    const copy = new PageCheckpointCopy();
    const store = await IdbCheckpointStore.open('run-c', 'test-lost-checkpoints', copy);
    const weights = initialWeights(config, 3);
    await store.save(encodeCaptionModel(config, weights, '{"t":3}', { epochsTrained: 3 }));
    store.close();
    // What Chromium did after a commit failed on a full disk: the origin's IndexedDB came back empty.
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase('test-lost-checkpoints');
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    const reopened = await IdbCheckpointStore.open('run-c', 'test-lost-checkpoints', copy);
    const files = await reopened.load();
    expect((await loadCaptionModel(memoryFolder('copy', files!))).meta.epochsTrained).toBe(3);
    reopened.close();
    // Written back: a store without the page's copy (a reload) reads it from IndexedDB.
    const afterReload = await IdbCheckpointStore.open('run-c', 'test-lost-checkpoints');
    expect(Array.from((await loadCaptionModel(memoryFolder('idb', (await afterReload.load())!))).weights[1])).toEqual(Array.from(weights[1]));
    afterReload.close();
  });
});
