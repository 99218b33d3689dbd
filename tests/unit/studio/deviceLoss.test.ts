/**
 * A lost GPU device under a run on the page's thread (src/studio/training/deviceLoss.ts), in Node: a real session and
 * a real InProcessTrainer (wasm, tiny model) whose device loss is announced the way the page's backend
 * controller announces it (watchDeviceLoss, and the loss the trainer races its waits against). The loss of a
 * real GPUDevice in Chromium is tests/e2e/gpuDeviceLost.test.ts; here the order of the two signals is chosen,
 * both orders seen in Chromium: the loss announced while the run goes, and announced after its step in flight
 * already failed with it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demoFolder } from '../../../src/core/data/demo';
import { loadDataset } from '../../../src/core/data/load';
import type { Corpus, LoadedDataset, Protocol } from '../../../src/core/data/types';
import { buildCorpus } from '../../../src/core/text/protocols';
import { mulberry32 } from '../../../src/core/rng';
import { useNodeBackend } from '../../../src/engine/platform/nodeBackend';
import { MemoryCheckpointStore } from '../../../src/engine/training/checkpoint';
import type { StudioEngines } from '../../../src/studio/ports';
import { StudioSession } from '../../../src/studio/session';
import { createStudioTraining } from '../../../src/studio/training/studioTraining';
import { testStore } from '../../support/studioStore';
import { HANG_BOUND_MS } from '../../hangBound.ts';

const featureDim = 12;
let loaded: { folder: ReturnType<typeof demoFolder>; dataset: LoadedDataset };

function fakeFeatures(name: string): Float32Array {
  let seed = 0;
  for (const ch of name) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  const r = mulberry32(seed);
  return Float32Array.from({ length: featureDim }, () => r());
}

const access = () => {
  const corpora = new Map<Protocol, Corpus>();
  return {
    loaded: () => loaded,
    corpus: (p: Protocol) => corpora.get(p) ?? corpora.set(p, buildCorpus(loaded.dataset, p)).get(p)!,
  };
};

type Order = 'announced-first' | 'failed-first';

/**
 * Engines whose first run on the page loses its device at `loseAtStep` (the first step after the first
 * checkpoint): the trainer's deviceLost settles and the page's loss is announced, in the given order.
 */
function losingEngines(order: Order, loseAtStep: number) {
  const listeners = new Set<(message: string) => void>();
  const restarts: string[] = [];
  let runs = 0;
  // The page's checkpoints outlive a run (IndexedDB there): the continued run restores from them.
  const checkpoints = new MemoryCheckpointStore();
  const announce = () => {
    for (const listener of listeners) listener('Device was destroyed.');
  };
  const engines: StudioEngines = {
    async extract(o) {
      const features = new Map(o.images.map((im) => [im.name, fakeFeatures(im.name)] as const));
      return { features, featureDim, weightsLabel: 'RANDOM weights (test)', skipped: [] };
    },
    async createTraining(inputs) {
      runs += 1;
      let lose: (error: Error) => void = () => undefined;
      const deviceLost = runs === 1 ? new Promise<Error>((resolve) => (lose = resolve)) : undefined;
      const run = createStudioTraining({ ...inputs, model: { units: 8, embedDim: 8 }, checkpoints, deviceLost });
      if (runs === 1) {
        run.trainer.on((event) => {
          if (event.type !== 'stepCompleted' || event.step !== loseAtStep) return;
          if (order === 'announced-first') announce();
          lose(new Error('GPU device lost: Device was destroyed.'));
        });
      }
      return run;
    },
    watchDeviceLoss(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async restartBackend(start) {
      restarts.push(start);
      return { backend: 'wasm', chosenBecause: `restarted at ${start} (test)`, shaderF16: false };
    },
  };
  return { engines, restarts, announce };
}

/** A session ready to train 3 epochs on the page's thread; its first run loses the device at `loseAtStep`. */
async function sessionLosingDevice(order: Order, loseAtStep: number) {
  const { store } = testStore();
  const setup = losingEngines(order, loseAtStep);
  const session = new StudioSession(store, access(), setup.engines);
  await session.extractFeatures();
  store.getState().setTrainConfig({ epochs: 3, batchSize: 8, learningRate: 0.02, dropout: 0, validationSample: 0, replicas: 1 });
  store.getState().setTrainingPlacement('page');
  return { store, session, setup };
}

/** The same run never interrupted: the steps and losses an interrupted run must end with. */
let uninterrupted: number[];
let stepsPerEpoch: number;

beforeAll(async () => {
  await useNodeBackend('wasm');
  const folder = demoFolder({ images: 40, seed: 3 });
  loaded = { folder, dataset: await loadDataset(folder) };
  const { store, session } = await sessionLosingDevice('announced-first', -1);
  await session.startTraining();
  expect(store.getState().training.state).toBe('finished');
  uninterrupted = store.getState().training.steps.loss.slice();
  stepsPerEpoch = store.getState().training.stepsPerEpoch!;
  expect(uninterrupted).toHaveLength(3 * stepsPerEpoch);
  await session.dispose();
}, HANG_BOUND_MS);

describe('a lost GPU device under a run on the page\'s thread', () => {
  for (const order of ['announced-first', 'failed-first'] as const) {
    it(`${order}: the run reads as stopped by the loss at its checkpoint, and continues on wasm with nothing lost`, async () => {
      // Lost on the first step after the first checkpoint (the end of epoch 1).
      const { store, session, setup } = await sessionLosingDevice(order, stepsPerEpoch + 1);
      await session.startTraining();
      if (order === 'failed-first') {
        // The step in flight failed with the device before the loss was announced: a failure, for now.
        expect(store.getState().training.state).toBe('failed');
        setup.announce();
      }
      const t = store.getState().training;
      const runId = t.runId;
      expect(t.state).toBe('stopped');
      expect(t.error).toBeNull();
      expect(t.stateReason).toBe(`the GPU device was lost at step ${t.steps.step.length}; the checkpoint of step ${stepsPerEpoch} is kept`);
      expect(t.deviceLost).toEqual({ message: 'Device was destroyed.', step: t.steps.step.length });
      expect(t.lastCheckpoint?.step).toBe(stepsPerEpoch);

      await session.continueAfterDeviceLoss('wasm');
      expect(setup.restarts).toEqual(['wasm']);
      const after = store.getState().training;
      expect(after.state).toBe('finished');
      expect(after.runId).toBe(runId);
      expect(after.deviceLost).toBeNull();
      expect(after.error).toBeNull();
      // Every step drawn once, with the losses of the run that was never interrupted.
      expect(after.steps.loss.map((l) => l.toFixed(5))).toEqual(uninterrupted.map((l) => l.toFixed(5)));
      await session.dispose();
    }, HANG_BOUND_MS);
  }

  it('continuing on a new GPU device chooses the page\'s backend again at webgpu, and the run finishes', async () => {
    const { store, session, setup } = await sessionLosingDevice('announced-first', stepsPerEpoch + 1);
    await session.startTraining();
    expect(store.getState().training.deviceLost).not.toBeNull();
    await session.continueAfterDeviceLoss('gpu');
    expect(setup.restarts).toEqual(['webgpu']);
    expect(store.getState().training.state).toBe('finished');
    expect(store.getState().training.steps.loss).toHaveLength(uninterrupted.length);
    await session.dispose();
  }, HANG_BOUND_MS);

  it('both choices clicked before the run went on: the first is taken, the second ignored, each step drawn once', async () => {
    const { store, session, setup } = await sessionLosingDevice('announced-first', stepsPerEpoch + 1);
    await session.startTraining();
    const first = session.continueAfterDeviceLoss('gpu');
    // While a new device is being set up, the notice says so and offers no choice.
    expect(store.getState().training.deviceLost?.continuingOn).toBe('gpu');
    const second = session.continueAfterDeviceLoss('wasm');
    await Promise.all([first, second]);
    expect(setup.restarts).toEqual(['webgpu']);
    const after = store.getState().training;
    expect(after.state).toBe('finished');
    expect(after.deviceLost).toBeNull();
    expect(after.steps.loss.map((l) => l.toFixed(5))).toEqual(uninterrupted.map((l) => l.toFixed(5)));
    await session.dispose();
  }, HANG_BOUND_MS);

  it('a loss announced while no run goes changes nothing', async () => {
    const { store, session, setup } = await sessionLosingDevice('announced-first', -1);
    setup.announce();
    expect(store.getState().training.deviceLost).toBeNull();
    expect(store.getState().training.state).toBe('idle');
    await session.dispose();
  });
});
