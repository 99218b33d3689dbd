/**
 * The real caption model (tiny config, dropout off) trained mirrored in 2 worker threads on wasm matches
 * one in-process CaptionReplicaModel on the same global batches; the embedding travels as sparse rows.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect, test } from 'vitest';
import { MirroredTrainer } from '../../../../src/engine/mirrored/trainer';
import { nodeWorkerEndpoint } from '../../../../src/engine/threads/nodeEndpoint';
import { defaultTrainConfig, type TrainerEvent } from '../../../../src/engine/training/trainer';
import { imageTokenCounts, makeCaptionBatch, sliceCaptionBatch, type CaptionBatch } from '../../../../src/model/batches';
import type { CaptionModelConfig } from '../../../../src/model/captionModel';
import { CaptionReplicaModel, type CaptionReplicaOptions } from '../../../../src/model/replicaStep';
import { mulberry32 } from '../../../support/toyReplicaModel';
import { RecordingCheckpointStore, maxAbsDifference } from './fixtures';

const config: CaptionModelConfig = { vocabSize: 30, maxLength: 8, featureDim: 16, units: 8, embedDim: 8, dropout: 0 };
const options: CaptionReplicaOptions = { config, layout: 'sequence', learningRate: 0.01, seed: 5 };
const steps = 3;

function batch(step: number): CaptionBatch {
  const random = mulberry32(200 + step);
  const images = Array.from({ length: 5 }, () => ({
    features: Float32Array.from({ length: config.featureDim }, () => random()),
    captions: Array.from({ length: 2 }, () => {
      const length = 3 + Math.floor(random() * (config.maxLength - 3));
      return [1, ...Array.from({ length: length - 2 }, () => 3 + Math.floor(random() * (config.vocabSize - 3))), 2];
    }),
  }));
  return makeCaptionBatch(images, config.featureDim);
}

test('caption model: 2 mirrored replicas (ring) match one replica', async () => {
  await tf.setBackend('wasm');
  const reference = new CaptionReplicaModel(options);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const sums = await reference.computeGradients(batch(step));
    losses.push(sums.lossSum / sums.tokenCount);
    await reference.applyGradients(sums.gradients.map((g) => g.map((v) => v / sums.tokenCount)));
  }
  const referenceState = await reference.getState();
  reference.dispose();

  const store = new RecordingCheckpointStore();
  const trainer = new MirroredTrainer<CaptionBatch>({
    config: { ...defaultTrainConfig, replicas: 2, allReduce: 'ring', epochs: 1, dropout: 0, checksumEvery: 1 },
    model: { kind: 'caption', options },
    data: { stepsPerEpoch: steps, batch: (_e, s) => batch(s), exampleTokens: imageTokenCounts, slice: sliceCaptionBatch },
    backend: 'wasm',
    spawn: () => nodeWorkerEndpoint(),
    checkpoints: store,
  });
  const events: TrainerEvent[] = [];
  trainer.on((e) => events.push(e));
  await trainer.start();
  expect(trainer.state).toBe('finished');
  const mirrored = events.flatMap((e) => (e.type === 'stepCompleted' ? [e.loss] : []));
  expect(mirrored).toHaveLength(steps);
  mirrored.forEach((loss, step) => expect(loss).toBeCloseTo(losses[step], 5));
  expect(maxAbsDifference(store.saved.at(-1)!.state, referenceState)).toBeLessThan(1e-5);
  for (const e of events) if (e.type === 'replicaChecksums') expect(e.identical).toBe(true);
  for (const e of events) if (e.type === 'workerTimeline') expect(e.bytesSavedBySparse).toBeGreaterThan(0);
});
