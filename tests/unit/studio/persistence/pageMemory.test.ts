/**
 * A reload brings back what the page showed: the dataset (the demo drawn again; a folder asked for again, or
 * a sentence why it cannot come back), the features the cache holds for it, the run comparison table and the
 * last evaluation with the model and dataset it belongs to. Two stores stand for the page before and after.
 */
import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../../src/core/data/folders';
import { generateDemoDataset } from '../../../../src/core/data/demo';
import { MemoryFeatureStore, sha256Hex } from '../../../../src/engine/features/cache';
import { readCachedFeatures } from '../../../../src/engine/features/cached';
import type { FeatureIdentity } from '../../../../src/model/backbones/types.ts';
import type { ProtocolResult } from '../../../../src/store/slices/evaluation';
import type { RunSummary } from '../../../../src/store/slices/training/runHistory';
import { memoryPagePersistence, PageMemory, type PagePersistence, type PageSnapshot } from '../../../../src/studio/persistence/pageMemory';
import { StudioSession } from '../../../../src/studio/session';
import { datasetAccessFor } from '../../../../src/studio/engines';
import { testStore } from '../../../support/studioStore';

const identity: FeatureIdentity = {
  backbone: 'mobilenet',
  backboneId: 'mobilenet_v1_0.25_224',
  weights: 'random',
  weightsId: 'random-he:42',
  featureDim: 4,
  inputSize: 224,
};
const summary: RunSummary = {
  backend: 'wasm', precision: 'float32', kernels: 'stock tfjs ops', replicas: 1, placement: 'worker', batchSize: 8,
  steps: 12, skippedSteps: 0, medianTokensPerSecond: 900, finalLoss: 3.2, ended: 'finished',
};
const result = (dataset: string): ProtocolResult => ({
  protocol: 'kaggle',
  bleu: { bleu1: 0.4, bleu2: 0.2, bleu3: 0.1, bleu4: 0.05 },
  images: [{ name: 'demo_0001.png', prediction: 'a red circle', references: ['a red circle'], score: 1 }],
  evaluatedAtMs: 1,
  owner: { modelId: 'trained-abc-1', model: 'kaggle run, seed 42', dataset },
});

function restorer() {
  const calls: FeatureIdentity[] = [];
  return { calls, restoreCachedFeatures: async (id: FeatureIdentity) => void calls.push(id) };
}

/** Until the dataset being drawn again is loaded (a count of timer ticks ran out on a busy machine: 2 s). */
async function settled(store: ReturnType<typeof testStore>['store']): Promise<void> {
  await expect.poll(() => store.getState().datasetStatus, { interval: 10 }).not.toBe('loading');
}

describe('page memory across a reload', () => {
  it('the demo comes back drawn again, with its protocol, the features choice, the run table and the evaluation', async () => {
    const persistence = memoryPagePersistence();
    const before = testStore().store;
    const memory = new PageMemory(before, restorer(), persistence, 0);
    await before.getState().loadDemo({ images: 20, seed: 2 });
    before.getState().setProtocol('kaggle');
    before.getState().setFeatureOptions({ backbone: 'mobilenet', weights: 'random' });
    before.getState().updateExtraction({ status: 'done', identity, featureDim: 4, cached: 20 });
    before.getState().restoreRunHistory([summary, { ...summary, kernels: 'fused WGSL f32' }]);
    const name = before.getState().datasetSource!.name;
    before.getState().setProtocolResult(result(name));
    await memory.saveNow();
    memory.dispose();

    const after = testStore().store;
    const features = restorer();
    const again = new PageMemory(after, features, persistence, 0);
    await again.restore({ dataset: true, demoWhenNone: true });
    await settled(after);
    const s = after.getState();
    expect(s.datasetSource).toEqual({ kind: 'demo', name: 'demo (20 images, seed 2)', demo: { images: 20, seed: 2 } });
    expect(s.datasetStatus).toBe('ready');
    expect(s.protocol).toBe('kaggle');
    expect(s.training.history.map((h) => h.kernels)).toEqual(['stock tfjs ops', 'fused WGSL f32']);
    expect(s.evaluation.results.kaggle).toEqual(result(name));
    expect(s.features.backbone).toBe('mobilenet');
    // Once the same dataset is ready again, the session is asked for the cached features of that identity.
    expect(features.calls).toEqual([identity]);
    again.dispose();
  });

  it('a folder picked as files cannot come back: the page says why, offers the picker, and loads no demo instead', async () => {
    const persistence = memoryPagePersistence();
    const before = testStore().store;
    const memory = new PageMemory(before, restorer(), persistence, 0);
    const png = generateDemoDataset({ images: 2, seed: 1 })['Images/demo_0001.png'] as Uint8Array;
    await before.getState().loadFolder(memoryFolder('flickr8k', { 'captions.txt': 'image,caption\na.png,a red circle\n', 'Images/a.png': png }));
    await memory.saveNow();
    memory.dispose();

    const after = testStore().store;
    const again = new PageMemory(after, restorer(), persistence, 0);
    await again.restore({ dataset: true, demoWhenNone: true });
    expect(after.getState().datasetSource).toBeNull();
    expect(after.getState().datasetReopen).toEqual({
      name: 'flickr8k',
      action: 'pick',
      message: 'flickr8k was loaded before the reload from files you picked or dropped: a browser does not let a page read those again by itself. Pick the folder again to go on.',
    });
    // A second reload before picking it still offers the same folder.
    await again.saveNow();
    const third = testStore().store;
    await new PageMemory(third, restorer(), persistence, 0).restore({ dataset: true, demoWhenNone: true });
    expect(third.getState().datasetReopen?.name).toBe('flickr8k');
    // Picking it (any load) clears the note.
    await third.getState().loadDemo({ images: 5, seed: 1 });
    expect(third.getState().datasetReopen).toBeNull();
  });

  it('a folder opened with the directory picker is asked for again with one click', async () => {
    let saved: PageSnapshot | null = null;
    // Handles are structured-clonable in a browser; here the snapshot is kept as it is.
    const persistence: PagePersistence = { save: async (s) => void (saved = s), load: async () => saved };
    const png = generateDemoDataset({ images: 2, seed: 1 })['Images/demo_0001.png'] as Uint8Array;
    const files = { 'captions.txt': 'image,caption\na.png,a red circle\n', 'Images/a.png': png };
    let asked = 0;
    const handle = {
      name: 'photos',
      queryPermission: async () => 'prompt' as PermissionState,
      requestPermission: async () => {
        asked++;
        return 'granted' as PermissionState;
      },
    } as unknown as FileSystemDirectoryHandle;
    const folderOf = () => Object.assign(memoryFolder('photos', files), { handle });
    const before = testStore().store;
    const memory = new PageMemory(before, restorer(), persistence, 0);
    await before.getState().loadFolder(folderOf());
    await memory.saveNow();
    expect(saved!.dataset?.handle).toBe(handle);

    const after = testStore().store;
    const again = new PageMemory(after, restorer(), persistence, 0);
    await again.restore({ dataset: true, demoWhenNone: true, folderFromHandle: folderOf });
    expect(after.getState().datasetReopen).toMatchObject({ name: 'photos', action: 'permission' });
    expect(await again.reopenWithPermission()).toBe(true);
    expect(asked).toBe(1);
    expect(after.getState().datasetSource?.name).toBe('photos');
    expect(after.getState().datasetStatus).toBe('ready');
  });

  it('a first visit gets the demo; ?empty gets nothing', async () => {
    const first = testStore().store;
    await new PageMemory(first, restorer(), memoryPagePersistence(), 0).restore({ dataset: true, demoWhenNone: true });
    expect(first.getState().datasetSource?.kind).toBe('demo');
    const empty = testStore().store;
    await new PageMemory(empty, restorer(), memoryPagePersistence(), 0).restore({ dataset: false, demoWhenNone: false });
    expect(empty.getState().datasetStatus).toBe('empty');
  });
});

describe('cached features after a reload', () => {
  it('shows the features the cache holds for the dataset as extracted, with their identity, without the network', async () => {
    const { store } = testStore();
    await store.getState().loadDemo({ images: 12, seed: 3 });
    const loaded = store.getState().loadedFolder()!;
    const cache = new MemoryFeatureStore(identity);
    const withFiles = loaded.dataset.images.filter((i) => i.file !== null);
    const vectorOf = (i: number) => Float32Array.from([i, i + 1, i + 2, i + 3]);
    const records = await Promise.all(
      withFiles.map(async (image, i) => ({ name: image.name, sha256: await sha256Hex(await loaded.folder.read(image.file!)), features: vectorOf(i) })),
    );
    await cache.put(records.slice(0, 8));
    const session = new StudioSession(store, datasetAccessFor(store), {
      cachedFeatures: async (_id, images) => readCachedFeatures(cache, images),
    });
    await session.restoreCachedFeatures(identity);
    // 8 of 12 cached: an extraction to resume, not "no features".
    expect(store.getState().features).toMatchObject({ status: 'aborted', done: 8, total: 12, fromCache: 8, identity });
    expect(session.hasFeatures).toBe(false);
    await cache.put(records.slice(8));
    await session.restoreCachedFeatures(identity);
    expect(store.getState().features).toMatchObject({ status: 'done', done: 12, total: 12, fromCache: 12, featureDim: 4, identity });
    expect(store.getState().features.weightsLabel).toMatch(/^RANDOM weights \(random-he:42\)/);
    expect(session.hasFeatures).toBe(true);
    await session.dispose();
  });
});
