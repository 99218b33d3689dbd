/**
 * The Trainer contract (src/engine/training/trainer.ts): one suite run against both trainers on the same
 * tiny caption model and demo data: the in-process trainer on this thread, and the mirrored trainer as the
 * CLI and the page wire it (engine/mirrored/captionRun.ts) with 2 Node worker-thread replicas on wasm.
 * An error, pause and resume, stop (mid-epoch and after an epoch's last step) and an epoch without a loss
 * must come out the same.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFolder, generateDemoScenes } from '../../../../src/core/data/demo';
import { loadDataset } from '../../../../src/core/data/load';
import type { Corpus } from '../../../../src/core/data/types';
import { buildCorpus } from '../../../../src/core/text/protocols';
import { mirroredCaptionRun } from '../../../../src/engine/mirrored/captionRun';
import { buildCaptionDataset, type CaptionDataset } from '../../../../src/engine/training/captionData';
import { MemoryCheckpointStore } from '../../../../src/engine/training/checkpoint';
import { InProcessTrainer } from '../../../../src/engine/training/inProcessTrainer';
import { defaultTrainConfig, type TrainConfig, type Trainer, type TrainerEvent } from '../../../../src/engine/training/trainer';
import { demoSceneFeatures } from '../../../support/demoFeatures';
import { TrackingSpawner } from '../mirrored/fixtures';

const demo = { images: 30, seed: 5 };
const small = { units: 12, embedDim: 8 };
const batchSize = 8;
let corpus: Corpus;
let features: Map<string, Float32Array>;

/** A fresh dataset per test: tests change its examples. */
const dataset = (): CaptionDataset => buildCaptionDataset(corpus, features);
const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({ ...defaultTrainConfig, epochs: 2, batchSize, learningRate: 0.01, dropout: 0, validationSample: 2, checksumEvery: 0, ...over });

interface Subject {
  trainer: Trainer;
  store: MemoryCheckpointStore;
  /** Every worker the trainer started has ended (true for a trainer without workers). */
  workersEnded(): boolean;
}

const subjects: [string, (data: CaptionDataset, config: TrainConfig) => Subject][] = [
  [
    'in-process',
    (data, config) => {
      const store = new MemoryCheckpointStore();
      return { trainer: new InProcessTrainer({ data, config, model: small, store }), store, workersEnded: () => true };
    },
  ],
  [
    'mirrored, 2 worker threads',
    (data, config) => {
      const store = new MemoryCheckpointStore();
      const spawner = new TrackingSpawner();
      const run = mirroredCaptionRun({ data, config: { ...config, replicas: 2 }, sizes: small, store, backend: 'wasm', spawn: spawner.spawn });
      return { trainer: run.trainer, store, workersEnded: () => spawner.exited.length === 2 && spawner.exited.every(Boolean) };
    },
  ],
];

function record(trainer: Trainer): TrainerEvent[] {
  const events: TrainerEvent[] = [];
  trainer.on((e) => events.push(e));
  return events;
}

const of = <T extends TrainerEvent['type']>(events: TrainerEvent[], type: T) => events.filter((e): e is Extract<TrainerEvent, { type: T }> => e.type === type);
const states = (events: TrainerEvent[]) => of(events, 'stateChanged').map((e) => e.state);

/** Epochs finished in the store's checkpoint (both trainers write the training folder's trainer.json). */
async function savedEpoch(store: MemoryCheckpointStore): Promise<number | null> {
  const files = await store.load();
  return files ? JSON.parse(new TextDecoder().decode(files['trainer.json'])).epoch : null;
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  corpus = buildCorpus(await loadDataset(demoFolder(demo)), 'standard');
  features = demoSceneFeatures(generateDemoScenes(demo), 16);
});
afterAll(() => tf.disposeVariables());

describe.each(subjects)('Trainer contract: %s', (_name, make) => {
  it('an error: runFailed, state failed, start() rejects with it, the last checkpoint kept, no worker left', async () => {
    const data = dataset();
    const { trainer, store, workersEnded } = make(data, config({ epochs: 2 }));
    const events = record(trainer);
    // After the first epoch a training image's features go bad: building a batch of the second one throws.
    trainer.on((e) => {
      if (e.type === 'epochCompleted' && e.epoch === 1) data.train[0] = { ...data.train[0], features: new Float32Array(3) };
    });
    await expect(trainer.start()).rejects.toThrow(/has 3 features/);
    expect(trainer.state).toBe('failed');
    const failures = of(events, 'runFailed');
    expect(failures).toHaveLength(1);
    expect(failures[0].error.message).toMatch(/has 3 features/);
    expect(events.at(-1)).toMatchObject({ type: 'stateChanged', state: 'failed' });
    expect(of(events, 'epochCompleted').map((e) => e.epoch)).toEqual([1]);
    expect(await savedEpoch(store)).toBe(1);
    expect(workersEnded()).toBe(true);
    await trainer.dispose();
  });

  it('pause takes effect at once and holds the run before its next step; resume goes on to the end', async () => {
    const data = dataset();
    const stepsPerEpoch = Math.ceil(data.train.length / batchSize);
    const { trainer } = make(data, config({ epochs: 1, validationSample: 0 }));
    const events = record(trainer);
    let stateAfterPause = '';
    trainer.on((e) => {
      if (e.type === 'stepCompleted' && e.step === 1) {
        trainer.pause();
        stateAfterPause = trainer.state;
      }
    });
    const run = trainer.start();
    await expect.poll(() => stateAfterPause).toBe('paused');
    // Waiting shows that nothing happens while paused (it bounds nothing: a correct trainer never steps here).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(of(events, 'stepCompleted')).toHaveLength(1);
    expect(trainer.state).toBe('paused');
    trainer.resume();
    expect(trainer.state).toBe('running');
    await run;
    expect(trainer.state).toBe('finished');
    expect(of(events, 'stepCompleted').map((e) => e.step)).toEqual(Array.from({ length: stepsPerEpoch }, (_, i) => i + 1));
    expect(states(events)).toEqual(['running', 'paused', 'running', 'finished']);
    await trainer.dispose();
  });

  it("a pause at an epoch's last step rests only after that epoch's validation and checkpoint (runAtRest)", async () => {
    const data = dataset();
    const stepsPerEpoch = Math.ceil(data.train.length / batchSize);
    const { trainer, store } = make(data, config({ epochs: 2 }));
    const events = record(trainer);
    trainer.on((e) => {
      if (e.type === 'stepCompleted' && e.step === stepsPerEpoch) trainer.pause();
    });
    const run = trainer.start();
    await expect.poll(() => of(events, 'runAtRest').length).toBe(1);
    const types = events.map((e) => e.type);
    const rest = types.indexOf('runAtRest');
    // Paused at once, at rest after the epoch's end: what a reader of the checkpoint may rely on then.
    const paused = events.findIndex((e) => e.type === 'stateChanged' && e.state === 'paused');
    expect(paused).toBeGreaterThan(-1);
    expect(paused).toBeLessThan(types.indexOf('epochCompleted'));
    expect(types.indexOf('checkpointSaved')).toBeLessThan(rest);
    expect(of(events, 'runAtRest')[0]).toEqual({ type: 'runAtRest', step: stepsPerEpoch });
    expect(await savedEpoch(store)).toBe(1);
    trainer.resume();
    await run;
    expect(of(events, 'runAtRest')).toHaveLength(1);
    expect(trainer.state).toBe('finished');
    await trainer.dispose();
  });

  it('stop mid-epoch ends the run before its next step, resolves once it has ended, and saves nothing of that epoch', async () => {
    const { trainer, store, workersEnded } = make(dataset(), config({ epochs: 2 }));
    const events = record(trainer);
    let stateWhenStopResolved = '';
    trainer.on((e) => {
      if (e.type === 'stepCompleted' && e.step === 1) void trainer.stop().then(() => (stateWhenStopResolved = trainer.state));
    });
    await trainer.start();
    await expect.poll(() => stateWhenStopResolved).toBe('stopped');
    expect(trainer.state).toBe('stopped');
    expect(of(events, 'stepCompleted')).toHaveLength(1);
    expect(of(events, 'epochCompleted')).toHaveLength(0);
    expect(of(events, 'checkpointSaved')).toHaveLength(0);
    expect(await store.load()).toBeNull();
    expect(states(events)).toEqual(['running', 'stopped']);
    expect(workersEnded()).toBe(true);
    await trainer.dispose();
  });

  it("stop after an epoch's last step still completes and saves that epoch", async () => {
    const data = dataset();
    const stepsPerEpoch = Math.ceil(data.train.length / batchSize);
    const { trainer, store } = make(data, config({ epochs: 3 }));
    const events = record(trainer);
    trainer.on((e) => {
      if (e.type === 'stepCompleted' && e.step === stepsPerEpoch) void trainer.stop();
    });
    await trainer.start();
    expect(trainer.state).toBe('stopped');
    expect(of(events, 'stepCompleted')).toHaveLength(stepsPerEpoch);
    expect(of(events, 'epochCompleted').map((e) => e.epoch)).toEqual([1]);
    expect(of(events, 'checkpointSaved').map((e) => e.epoch)).toEqual([1]);
    expect(await savedEpoch(store)).toBe(1);
    await trainer.dispose();

    // Continued by a new trainer on that checkpoint: it says where it goes on from, then takes the rest.
    const next = make(data, config({ epochs: 2 }));
    await next.store.save((await store.load())!);
    const continued = record(next.trainer);
    await next.trainer.start({ resume: true });
    expect(of(continued, 'resumedFrom')).toEqual([{ type: 'resumedFrom', epoch: 1, step: stepsPerEpoch }]);
    expect(of(continued, 'stepCompleted').map((e) => e.step)).toEqual(Array.from({ length: stepsPerEpoch }, (_, i) => stepsPerEpoch + i + 1));
    await next.trainer.dispose();
  });

  it('continuing without a checkpoint says it goes on from step 0', async () => {
    const { trainer } = make(dataset(), config({ epochs: 1, validationSample: 0 }));
    const events = record(trainer);
    await trainer.start({ resume: true });
    expect(of(events, 'resumedFrom')).toEqual([{ type: 'resumedFrom', epoch: 0, step: 0 }]);
    expect(trainer.state).toBe('finished');
    await trainer.dispose();
  });

  it('an epoch without a single real token reports no loss (NaN, not 0) and changes nothing', async () => {
    const data = dataset();
    data.train = data.train.map((e) => ({ ...e, captions: [] }));
    const stepsPerEpoch = Math.ceil(data.train.length / batchSize);
    const { trainer } = make(data, config({ epochs: 1, validationSample: 0 }));
    const before = await trainer.evaluate('val');
    const events = record(trainer);
    await trainer.start();
    expect(trainer.state).toBe('finished');
    const steps = of(events, 'stepCompleted');
    expect(steps).toHaveLength(stepsPerEpoch);
    for (const step of steps) {
      expect(step.tokens).toBe(0);
      expect(step.loss).toBeNaN();
    }
    const epochs = of(events, 'epochCompleted');
    expect(epochs).toHaveLength(1);
    expect(epochs[0].trainLoss).toBeNaN();
    expect(epochs[0].valLoss).toBeGreaterThan(0);
    // No update was applied: the weights it ended with are the seeded start.
    expect((await trainer.evaluate('val')).loss).toBe(before.loss);
    await trainer.dispose();
  });
});
