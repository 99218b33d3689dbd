/**
 * The page's training wiring (studio/training/studioTraining.ts) in Node: the in-page trainer and 2 mirrored replicas
 * (worker threads standing in for the page's Web Workers, the wiring the CLI uses too) on the same demo data
 * report the same validation loss after every epoch (the page's mirrored run used to report none) and leave
 * a model that captions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demoFolder } from '../../../src/core/data/demo';
import { loadDataset } from '../../../src/core/data/load';
import type { Corpus } from '../../../src/core/data/types';
import { buildCorpus } from '../../../src/core/text/protocols';
import { mulberry32 } from '../../../src/core/rng';
import { useNodeBackend } from '../../../src/engine/platform/nodeBackend';
import { nodeWorkerEndpoint } from '../../../src/engine/threads/nodeEndpoint';
import { defaultTrainConfig, type TrainConfig, type TrainerEvent } from '../../../src/engine/training/trainer';
import { createStudioTraining } from '../../../src/studio/training/studioTraining';

const featureDim = 12;
let corpus: Corpus;
let features: Map<string, Float32Array>;

beforeAll(async () => {
  await useNodeBackend('wasm');
  corpus = buildCorpus(await loadDataset(demoFolder({ images: 40, seed: 3 })), 'standard');
  const random = mulberry32(17);
  features = new Map(corpus.images.map((image) => [image.name, Float32Array.from({ length: featureDim }, () => random())]));
});

async function train(replicas: number) {
  const config: TrainConfig = { ...defaultTrainConfig, epochs: 2, batchSize: 8, learningRate: 0.02, dropout: 0, validationSample: 4, replicas, checksumEvery: 0 };
  const run = createStudioTraining({
    config,
    corpus,
    features,
    model: { units: 8, embedDim: 8 },
    placement: 'page',
    spawnReplica: () => nodeWorkerEndpoint(),
  });
  const events: TrainerEvent[] = [];
  run.trainer.on((e) => events.push(e));
  await run.trainer.start();
  expect(run.trainer.state).toBe('finished');
  const model = await run.model();
  await run.trainer.dispose();
  return { epochs: events.flatMap((e) => (e.type === 'epochCompleted' ? [e] : [])), model };
}

describe('studio training wiring (Node, wasm, tiny model)', () => {
  it('in-page and 2 mirrored replicas report the same validation loss and sample captions, and keep a model that captions', { timeout: 300_000 }, async () => {
    const page = await train(1);
    const mirrored = await train(2);
    expect(mirrored.epochs).toHaveLength(2);
    mirrored.epochs.forEach((epoch, i) => {
      expect(epoch.valLoss).not.toBeNull();
      expect(Math.abs(epoch.valLoss! - page.epochs[i].valLoss!)).toBeLessThan(1e-4);
      expect(Math.abs(epoch.trainLoss - page.epochs[i].trainLoss)).toBeLessThan(1e-4);
      expect(epoch.bleu).not.toBeNull();
      // The Training panel's fixed pictures: the same four, captioned alike by both trainers' weights.
      expect(epoch.samples).toHaveLength(4);
      expect(epoch.samples).toEqual(page.epochs[i].samples);
    });
    expect(mirrored.model.info).toMatchObject({ source: 'trained', featureDim, epoch: 2 });
    const image = features.get(corpus.images[0].name)!;
    const [a, b] = [await page.model.caption(image, { mode: 'greedy', beamWidth: 1, topK: 2 }), await mirrored.model.caption(image, { mode: 'greedy', beamWidth: 1, topK: 2 })];
    expect(b.steps.length).toBeGreaterThan(0);
    expect(b.steps[0].top).toHaveLength(2);
    expect(b.caption).toBe(a.caption);
    page.model.dispose();
    mirrored.model.dispose();
  });
});
