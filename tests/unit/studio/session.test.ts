/**
 * StudioSession end to end in Node (wasm backend, tiny caption model): features → train → charts in the
 * store → evaluation in both protocols → playground caption with top words → export → reload (fresh store
 * and session, saved run restored) → import the archive → same caption again.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demoFolder } from '../../../src/core/data/demo';
import { loadDataset } from '../../../src/core/data/load';
import type { Corpus, LoadedDataset, Protocol } from '../../../src/core/data/types';
import { buildCorpus } from '../../../src/core/text/protocols';
import { scoreCaptions } from '../../../src/core/metrics/bleu';
import { useNodeBackend } from '../../../src/engine/platform/nodeBackend';
import { StudioSession } from '../../../src/studio/session';
import type { StudioEngines } from '../../../src/studio/ports';
import { unzipModelArchive } from '../../../src/model/archive';
import { studioModelFromFiles } from '../../../src/studio/model';
import { createStudioTraining } from '../../../src/studio/training/studioTraining';
import { memoryRunPersistence } from '../../../src/studio/persistence/runStore';
import { mulberry32 } from '../../../src/core/rng';
import { MemoryCheckpointStore } from '../../../src/engine/training/checkpoint';
import { testStore } from '../../support/studioStore';
import { belongsElsewhere, currentOwner } from '../../../src/store/slices/evaluation';
import { runTiming } from '../../../src/store/slices/training/runTiming';
import { HANG_BOUND_MS } from '../../hangBound.ts';

const featureDim = 12;

const makeStore = () => testStore().store;

function fakeFeatures(name: string): Float32Array {
  let seed = 0;
  for (const ch of name) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  const r = mulberry32(seed);
  return Float32Array.from({ length: featureDim }, () => r());
}

function engines(checkpoints = new MemoryCheckpointStore()): StudioEngines {
  return {
    async extract(o) {
      o.onStatus('running');
      const features = new Map<string, Float32Array>();
      for (const [i, im] of o.images.entries()) {
        features.set(im.name, fakeFeatures(im.name));
        o.onProgress({ done: i + 1, total: o.images.length, cached: 0, elapsedMs: i + 1 });
      }
      return { features, featureDim, weightsLabel: 'RANDOM weights (test)', skipped: [] };
    },
    async featuresOf(images) {
      return images.map((im) => fakeFeatures(im.name));
    },
    async createTraining(inputs) {
      return createStudioTraining({ ...inputs, placement: 'page', model: { units: 8, embedDim: 8 }, checkpoints });
    },
    score(protocol, references, hypotheses) {
      const s = scoreCaptions({ protocol, references, hypotheses });
      return { bleu1: s.bleu1, bleu2: s.bleu2, bleu3: s.bleu3, bleu4: s.bleu4 };
    },
    async importArchive(bytes, name) {
      return studioModelFromFiles(unzipModelArchive(bytes, name), name, 'archive');
    },
  };
}

let loaded: { folder: ReturnType<typeof demoFolder>; dataset: LoadedDataset };
const access = () => {
  const corpora = new Map<Protocol, Corpus>();
  return {
    loaded: () => loaded,
    corpus: (p: Protocol) => corpora.get(p) ?? corpora.set(p, buildCorpus(loaded.dataset, p)).get(p)!,
  };
};

beforeAll(async () => {
  await useNodeBackend('wasm');
  const folder = demoFolder({ images: 40, seed: 3 });
  loaded = { folder, dataset: await loadDataset(folder) };
});

describe('StudioSession (Node, wasm, tiny model)', () => {
  it('runs the new-user path and a reload restores the run and its model', async () => {
    const persistence = memoryRunPersistence();
    const store = makeStore();
    const session = new StudioSession(store, access(), engines(), persistence);
    expect(session.unavailable('train')).toBeNull();
    expect(session.unavailable('importNotebook')).toMatch(/not part of this build/);

    await session.extractFeatures();
    expect(store.getState().features).toMatchObject({ status: 'done', done: 40, total: 40, featureDim });

    store.getState().setTrainConfig({ epochs: 3, batchSize: 8, learningRate: 0.02, dropout: 0, validationSample: 4, replicas: 1 });
    await session.startTraining();
    const t = store.getState().training;
    expect(t.error).toBeNull();
    expect(t.state).toBe('finished');
    expect(t.steps.loss.length).toBeGreaterThanOrEqual(3);
    expect(t.epochs).toHaveLength(3);
    expect(t.epochs[2].trainLoss).toBeLessThan(t.epochs[0].trainLoss); // loss falls
    // The steps an epoch has, told before the start, are the steps the run took; the ETA comes from them.
    expect(t.stepsPerEpoch).toBeGreaterThan(0);
    expect(t.steps.loss.length).toBe(t.stepsPerEpoch! * 3);
    expect(runTiming(t)).toMatchObject({ totalSteps: t.steps.loss.length, etaMs: 0, estimated: false });
    expect(t.backend?.backend).toBe('wasm'); // the in-process trainer reports its backend
    expect(store.getState().model.info).toMatchObject({ source: 'trained', featureDim });

    await session.evaluate(['kaggle', 'standard']);
    const ev = store.getState().evaluation;
    expect(ev.error).toBeNull();
    expect(ev.status).toBe('done');
    expect(ev.results.kaggle?.images.length).toBeGreaterThan(0);
    expect(ev.results.standard?.bleu?.bleu1).toBeGreaterThanOrEqual(0);
    expect(belongsElsewhere(ev.results.standard!.owner, currentOwner(store.getState()))).toBeNull();

    store.getState().setDecoding({ decoding: 'greedy', topK: 3 });
    await session.captionImages([{ name: 'x.png', bytes: new Uint8Array(), imageUrl: null }]);
    const item = store.getState().playground.items[0];
    expect(item.status).toBe('done');
    expect(item.steps.length).toBeGreaterThan(0);
    expect(item.steps[0].top).toHaveLength(3);
    const probs = item.steps[0].top.map((w) => w.probability);
    expect([...probs].sort((a, b) => b - a)).toEqual(probs);

    store.getState().setDecoding({ decoding: 'beam', beamWidth: 3 });
    await session.captionImages([{ name: 'x.png', bytes: new Uint8Array(), imageUrl: null }]);
    expect(store.getState().playground.items[1].status).toBe('done');

    const exported = await session.exportModel();
    expect(exported?.bytes.byteLength).toBeGreaterThan(100);
    expect(store.getState().model.savedRun?.steps).toBe(t.steps.loss.length);

    // "Reload": a fresh store and session on the same persistence.
    const store2 = makeStore();
    const session2 = new StudioSession(store2, access(), engines(), persistence);
    expect(await session2.restoreLastRun()).toBe(true);
    expect(store2.getState().training.steps.loss).toEqual(t.steps.loss);
    expect(store2.getState().training.epochs).toHaveLength(3);
    expect(store2.getState().model.info?.source).toBe('trained');
    // The same model: its id comes back, so the results that name it stay current.
    expect(store2.getState().model.info?.id).toBe(store.getState().model.info?.id);

    await session2.importArchive({ name: exported!.fileName, bytes: exported!.bytes });
    expect(store2.getState().model.error).toBeNull();
    expect(store2.getState().model.info?.source).toBe('archive');
    store2.getState().setDecoding({ decoding: 'greedy' });
    await session2.captionImages([{ name: 'x.png', bytes: new Uint8Array(), imageUrl: null }]);
    expect(store2.getState().playground.items[0].caption).toBe(item.caption);
    await session.dispose();
    await session2.dispose();
  });

  it('a second Start while the first is still starting (auto measuring the backends) is the same run', async () => {
    const store = makeStore();
    const base = engines();
    let created = 0;
    const counted: StudioEngines = {
      ...base,
      async createTraining(inputs) {
        created++;
        // Slow to start, as auto's calibration is: the second click lands before the trainer exists.
        await new Promise((r) => setTimeout(r, 50));
        return base.createTraining!(inputs);
      },
    };
    const session = new StudioSession(store, access(), counted);
    await session.extractFeatures();
    store.getState().setTrainConfig({ epochs: 1, batchSize: 8, dropout: 0, validationSample: 0, replicas: 1 });
    const first = session.startTraining();
    const second = session.startTraining();
    expect(second).toBe(first);
    await first;
    expect(created).toBe(1);
    const t = store.getState().training;
    expect(t.state).toBe('finished');
    expect(t.steps.loss.length).toBe(t.stepsPerEpoch);
    // Once that run has its trainer, Start is a new run again.
    await session.startTraining();
    expect(created).toBe(2);
    await session.dispose();
  });

  it('pauses, resumes and stops a run from the session', async () => {
    const store = makeStore();
    const session = new StudioSession(store, access(), engines());
    await session.extractFeatures();
    store.getState().setTrainConfig({ epochs: 50, batchSize: 4, dropout: 0, validationSample: 0, replicas: 1 });
    const states: string[] = [];
    store.subscribe((s, prev) => {
      if (s.training.state !== prev.training.state) states.push(s.training.state);
    });
    const run = session.startTraining();
    await expect.poll(() => store.getState().training.steps.loss.length, { timeout: HANG_BOUND_MS }).toBeGreaterThan(0);
    session.pauseTraining();
    await expect.poll(() => store.getState().training.state).toBe('paused');
    const stepsWhilePaused = store.getState().training.steps.loss.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(store.getState().training.steps.loss.length).toBeLessThanOrEqual(stepsWhilePaused + 1);
    session.resumeTraining();
    await expect.poll(() => store.getState().training.state).toBe('running');
    await session.stopTraining();
    await run;
    expect(store.getState().training.state).toBe('stopped');
    expect(states).toEqual(expect.arrayContaining(['running', 'paused', 'stopped']));
    // A run stopped early still leaves a model to caption with.
    expect(store.getState().model.info?.source).toBe('trained');
    await session.dispose();
  });

  it('continues a run from its last checkpoint, keeping the charts', async () => {
    const store = makeStore();
    const session = new StudioSession(store, access(), engines());
    await session.extractFeatures();
    store.getState().setTrainConfig({ epochs: 2, batchSize: 8, dropout: 0, validationSample: 0, replicas: 1 });
    await session.startTraining();
    const first = store.getState().training;
    expect(first.lastCheckpoint?.epoch).toBe(2);
    store.getState().setTrainConfig({ epochs: 3 });
    await session.startTraining({ resume: true });
    const t = store.getState().training;
    expect(t.state).toBe('finished');
    expect(t.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const perEpoch = first.steps.loss.length / 2;
    expect(t.steps.loss.length).toBe(first.steps.loss.length + perEpoch);
    expect(t.steps.loss.slice(0, first.steps.loss.length)).toEqual(first.steps.loss);
    await session.dispose();
  });

  it('continues a run stopped in the middle of an epoch from its checkpoint without drawing a step twice', async () => {
    const store = makeStore();
    const session = new StudioSession(store, access(), engines());
    await session.extractFeatures();
    store.getState().setTrainConfig({ epochs: 50, batchSize: 1, dropout: 0, validationSample: 0, replicas: 1 });
    // Paused at the first step drawn after the first checkpoint: inside epoch 2, far from its end.
    const unsubscribe = store.subscribe((state) => {
      const t = state.training;
      if (t.state === 'running' && t.lastCheckpoint && t.steps.loss.length > t.lastCheckpoint.step) {
        unsubscribe();
        session.pauseTraining();
      }
    });
    const run = session.startTraining();
    await expect.poll(() => store.getState().training.state, { timeout: HANG_BOUND_MS }).toBe('paused');
    const checkpoint = store.getState().training.lastCheckpoint!;
    expect(checkpoint.epoch).toBe(1);
    const before = store.getState().training.steps.loss.slice(0, checkpoint.step);
    await session.stopTraining();
    await run;
    const stopped = store.getState().training;
    expect(stopped.lastCheckpoint).toEqual(checkpoint);
    expect(stopped.steps.loss.length).toBeGreaterThan(checkpoint.step);
    store.getState().setTrainConfig({ epochs: 2 });
    await session.startTraining({ resume: true });
    const t = store.getState().training;
    expect(t.state).toBe('finished');
    expect(t.steps.loss.length).toBe(checkpoint.step * 2);
    expect(t.steps.loss.slice(0, checkpoint.step)).toEqual(before);
    expect(t.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    await session.dispose();
  });

  it('forgets features of a dataset that was replaced', async () => {
    const store = makeStore();
    const session = new StudioSession(store, access(), engines());
    await session.extractFeatures();
    expect(session.hasFeatures).toBe(true);
    const before = loaded;
    loaded = { folder: demoFolder({ images: 12, seed: 9 }), dataset: await loadDataset(demoFolder({ images: 12, seed: 9 })) };
    try {
      await session.startTraining();
      expect(store.getState().training.error?.message).toMatch(/Extract the image features of this dataset/);
      expect(store.getState().features.status).toBe('idle');
    } finally {
      loaded = before;
    }
  });

  it('explains what is missing instead of failing', async () => {
    const store = makeStore();
    const session = new StudioSession(store, { loaded: () => null, corpus: () => null }, engines());
    await session.extractFeatures();
    expect(store.getState().features.error?.message).toMatch(/Load a dataset first/);
    await session.startTraining();
    expect(store.getState().training.error?.message).toMatch(/Load a dataset first/);
    await session.evaluate();
    expect(store.getState().evaluation.error?.message).toMatch(/Train a model or import one/);
    await session.importArchive({ name: 'junk.zip', bytes: new Uint8Array([1, 2, 3]) });
    const err = store.getState().model.error!;
    expect(err.message).toMatch(/junk\.zip is not a zip archive/);
    expect(err.detail).toMatch(/UserError|Error/);
  });

  it("an extraction that ends with the browser's own AbortError (IndexedDB on a full disk) failed; only the user's stop reads as stopped", async () => {
    const store = makeStore();
    const storageAbort = Object.assign(new Error('The transaction was aborted, so the request cannot be fulfilled.'), { name: 'AbortError' });
    const failing: StudioEngines = { ...engines(), extract: async () => Promise.reject(storageAbort) };
    await new StudioSession(store, access(), failing).extractFeatures();
    expect(store.getState().features.status).toBe('failed');
    expect(store.getState().features.error?.detail ?? store.getState().features.error?.message).toMatch(/transaction was aborted/);

    const stopped = makeStore();
    let session: StudioSession;
    const stoppable: StudioEngines = {
      ...engines(),
      extract: (o) =>
        new Promise((_, reject) => {
          o.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
          session.abortExtraction();
        }),
    };
    session = new StudioSession(stopped, access(), stoppable);
    await session.extractFeatures();
    expect(stopped.getState().features.status).toBe('aborted');
  });
});
