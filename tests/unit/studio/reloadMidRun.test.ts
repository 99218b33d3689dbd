/**
 * A reload in the middle of a run offers exactly that run's latest checkpoint (its settings, its charts up to
 * that step, "continue from step N of the run started at …"), continuing finishes it, and a finished run
 * reads as finished after the next reload. Node, wasm, a tiny model; the "reload" is a fresh store and
 * session over the same saved runs and checkpoints, as IndexedDB keeps them in the page.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demoFolder } from '../../../src/core/data/demo';
import { loadDataset } from '../../../src/core/data/load';
import type { Corpus, LoadedDataset, Protocol } from '../../../src/core/data/types';
import { buildCorpus } from '../../../src/core/text/protocols';
import { useNodeBackend } from '../../../src/engine/platform/nodeBackend';
import { MemoryCheckpointStore } from '../../../src/engine/training/checkpoint';
import { unzipModelArchive } from '../../../src/model/archive';
import { studioModelFromFiles } from '../../../src/studio/model';
import type { StudioEngines } from '../../../src/studio/ports';
import { memoryRunPersistence } from '../../../src/studio/persistence/runStore';
import { StudioSession } from '../../../src/studio/session';
import { createStudioTraining } from '../../../src/studio/training/studioTraining';
import { HANG_BOUND_MS } from '../../hangBound.ts';
import { testStore } from '../../support/studioStore';

const featureDim = 6;
let loaded: { folder: ReturnType<typeof demoFolder>; dataset: LoadedDataset };
const access = () => {
  const corpora = new Map<Protocol, Corpus>();
  return { loaded: () => loaded, corpus: (p: Protocol) => corpora.get(p) ?? corpora.set(p, buildCorpus(loaded.dataset, p)).get(p)! };
};

function engines(checkpoints: MemoryCheckpointStore): StudioEngines {
  const vector = (name: string) => Float32Array.from({ length: featureDim }, (_, i) => ((name.length * 5 + i * 11) % 13) / 13);
  return {
    async extract(o) {
      return { features: new Map(o.images.map((im) => [im.name, vector(im.name)])), featureDim, weightsLabel: 'test', skipped: [] };
    },
    async createTraining(inputs) {
      return createStudioTraining({ ...inputs, placement: 'page', model: { units: 8, embedDim: 8 }, checkpoints });
    },
    async importArchive(bytes, name) {
      return studioModelFromFiles(unzipModelArchive(bytes, name), name, 'archive');
    },
  };
}

/**
 * Pauses the run from inside its first checkpoint's save, which the trainer awaits before the next step: the
 * page "dies" right after that checkpoint whatever the machine's speed. A pause asked for when the store
 * showed the checkpoint came a checkpoint late once on a busy machine: the store takes the run's events a
 * frame at a time, and a tiny epoch can finish within one.
 */
class PauseAfterFirstSave extends MemoryCheckpointStore {
  pause: () => void = () => undefined;

  override async save(...args: Parameters<MemoryCheckpointStore['save']>): Promise<void> {
    await super.save(...args);
    if (this.saves === 1) this.pause();
  }
}

beforeAll(async () => {
  await useNodeBackend('wasm');
  const folder = demoFolder({ images: 32, seed: 6 });
  loaded = { folder, dataset: await loadDataset(folder) };
});

describe('a reload in the middle of a run', () => {
  it('offers that run\'s latest checkpoint, continues it to the end, and then reads as finished', async () => {
    const persistence = memoryRunPersistence();
    const checkpoints = new PauseAfterFirstSave();
    const storeA = testStore().store;
    const sessionA = new StudioSession(storeA, access(), engines(checkpoints), persistence);
    await sessionA.extractFeatures();
    storeA.getState().setTrainConfig({ epochs: 3, batchSize: 8, dropout: 0, validationSample: 0, replicas: 1, seed: 7 });
    // The page "dies" right after the first checkpoint: the run is paused there and never heard of again.
    checkpoints.pause = () => sessionA.pauseTraining();
    void sessionA.startTraining();
    await expect.poll(() => storeA.getState().training.state, { timeout: HANG_BOUND_MS }).toBe('paused');
    await expect.poll(() => persistence.loadCurrent(), { timeout: HANG_BOUND_MS }).not.toBeNull();
    const a = storeA.getState().training;
    const checkpoint = a.lastCheckpoint!;
    expect(checkpoint.epoch).toBe(1);
    // Once written down, the page says a reload continues from it.
    await expect.poll(() => storeA.getState().training.keptForReloadStep, { timeout: HANG_BOUND_MS }).toBe(checkpoint.step);

    // Reload: the interrupted run, at its checkpoint.
    const storeB = testStore().store;
    const sessionB = new StudioSession(storeB, access(), engines(checkpoints), persistence);
    expect(await sessionB.restoreLastRun()).toBe(true);
    const b = storeB.getState().training;
    expect(b.state).toBe('stopped');
    expect(b.stateReason).toMatch(new RegExp(`^interrupted by a reload: continue from step ${checkpoint.step} of the run started at \\d\\d:\\d\\d:\\d\\d$`));
    expect(b.lastCheckpoint).toEqual(checkpoint);
    expect(b.runId).toBe(a.runId);
    expect(b.config).toEqual(a.config);
    expect(b.steps.loss).toEqual(a.steps.loss.slice(0, checkpoint.step));
    expect(b.epochs.map((e) => e.epoch)).toEqual([1]);

    // Continue: the run goes on from that step to its end, charts joined.
    await sessionB.extractFeatures();
    await sessionB.startTraining({ resume: true });
    const done = storeB.getState().training;
    expect(done.error).toBeNull();
    expect(done.state).toBe('finished');
    expect(done.runId).toBe(a.runId);
    expect(done.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(done.steps.loss.length).toBe(checkpoint.step * 3);
    expect(done.steps.loss.slice(0, checkpoint.step)).toEqual(a.steps.loss.slice(0, checkpoint.step));
    expect(await persistence.loadCurrent()).toBeNull();

    // Another reload: the finished run reads as finished, with its model.
    const storeC = testStore().store;
    const sessionC = new StudioSession(storeC, access(), engines(checkpoints), persistence);
    expect(await sessionC.restoreLastRun()).toBe(true);
    expect(storeC.getState().training.state).toBe('finished');
    expect(storeC.getState().training.steps.loss).toEqual(done.steps.loss);
    expect(storeC.getState().model.info?.id).toBe(storeB.getState().model.info?.id);
    await sessionC.dispose();
    await sessionB.dispose();
    await sessionA.dispose();
  });
});
