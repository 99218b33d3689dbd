/**
 * Mirrored mixed_float16 on WebGPU in Node: two replica worker threads, each with its own Dawn GPUDevice
 * (lavapipe on GPU-less machines) and its own fused WGSL f16 kernels, start from a loss scale whose f16
 * gradients really overflow. Every replica must skip the same steps and halve the same scale, stay
 * bit-identical, and train like the in-process trainer on the same batches (this thread's own Dawn device),
 * even though one replica's thread exits mid-run and a restarted one takes over its peers' state (weights,
 * Adam, loss scaler) on a fresh device.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFolder, generateDemoScenes } from '../../../../src/core/data/demo';
import { loadDataset } from '../../../../src/core/data/load';
import { deriveSeed, mulberry32, shuffle } from '../../../../src/core/rng';
import { buildCorpus } from '../../../../src/core/text/protocols';
import { buildCaptionDataset, captionModelConfigFor, type CaptionDataset } from '../../../../src/engine/training/captionData';
import { demoSceneFeatures } from '../../../support/demoFeatures';
import { InProcessTrainer } from '../../../../src/engine/training/inProcessTrainer';
import { MirroredTrainer } from '../../../../src/engine/mirrored/trainer';
import { nodeWorkerEndpoint } from '../../../../src/engine/threads/nodeEndpoint';
import { defaultTrainConfig, type TrainConfig, type TrainerEvent } from '../../../../src/engine/training/trainer';
import { imageTokenCounts, makeCaptionBatch, sliceCaptionBatch, type CaptionBatch } from '../../../../src/model/batches';
import { useModelKernels } from '../../../../src/model/kernels';
import { setupGpu } from '../../gpu/setup';
import { RecordingCheckpointStore, maxAbsDifference } from './fixtures';
import { skipUnlessPresent } from '../../../prerequisites.ts';

const gpu = await setupGpu();
const demo = { images: 40, seed: 11 };
const sizes = { units: 16, embedDim: 16 };
let data: CaptionDataset;

type StepEvent = Extract<TrainerEvent, { type: 'stepCompleted' }>;
const stepsOf = (events: TrainerEvent[]) => events.filter((e): e is StepEvent => e.type === 'stepCompleted');

const faultStep = 6;
const config: TrainConfig = {
  ...defaultTrainConfig,
  epochs: 3,
  batchSize: 8,
  learningRate: 0.01,
  dropout: 0,
  validationSample: 0,
  precision: 'mixed_float16',
  fusedKernels: true,
  // 2^24 / (tokens of a batch, ~100) puts the output layer's f16 gradients far above 65504: real ±Inf.
  initialLossScale: 2 ** 24,
  lossScaleGrowthSteps: 4,
  replicas: 2,
  allReduce: 'ring',
  checksumEvery: 1,
};

describe.skipIf(skipUnlessPresent(gpu.skipReason || (gpu.engine?.shaderF16 ? '' : 'adapter has no shader-f16'), 'shader-f16'))(`mirrored mixed_float16 on WebGPU worker threads (${gpu.adapter || gpu.skipReason || 'no shader-f16'})`, () => {
  beforeAll(async () => {
    const ds = await loadDataset(demoFolder(demo));
    data = buildCaptionDataset(buildCorpus(ds, 'standard'), demoSceneFeatures(generateDemoScenes(demo), 24));
  });
  afterAll(() => {
    useModelKernels(null);
    gpu.engine?.assertNoErrors();
  });

  it('2 replicas skip and halve alike, stay identical and match the in-process trainer', async () => {
    await tf.setBackend('webgpu');
    const reference = new InProcessTrainer({ data, model: sizes, config: { ...config, replicas: 1 } });
    const referenceEvents: TrainerEvent[] = [];
    reference.on((e) => referenceEvents.push(e));
    await reference.start();
    const referenceSteps = stepsOf(referenceEvents);
    const referenceWeights = await reference.replica.getWeights();
    const referenceAdamStep = (await reference.replica.optimizer.getState()).step;
    await reference.dispose();

    // The in-process trainer's batches: its seeded order per epoch, batchSize images a step.
    const stepsPerEpoch = Math.ceil(data.train.length / config.batchSize);
    const batch = (epoch: number, step: number): CaptionBatch => {
      const order = shuffle(mulberry32(deriveSeed(config.seed, `epoch/${epoch}`)), data.train.map((_, i) => i));
      const images = order.slice(step * config.batchSize, (step + 1) * config.batchSize).map((k) => data.train[k]);
      return makeCaptionBatch(images, data.featureDim);
    };
    const store = new RecordingCheckpointStore();
    const trainer = new MirroredTrainer<CaptionBatch>({
      config,
      model: { kind: 'caption', options: { config: captionModelConfigFor(data, 0, sizes), layout: config.layout, learningRate: config.learningRate, seed: config.seed } },
      data: { stepsPerEpoch, batch, exampleTokens: imageTokenCounts, slice: sliceCaptionBatch },
      backend: 'webgpu',
      spawn: () => nodeWorkerEndpoint(),
      checkpoints: store,
      faults: [{ replica: 1, fault: { step: faultStep, kind: 'exit' } }],
    });
    const events: TrainerEvent[] = [];
    trainer.on((e) => events.push(e));
    // A fault pauses the run for a decision: restart after the injected one, stop (and fail) after any other.
    trainer.on((e) => {
      if (e.type !== 'stateChanged' || e.state !== 'paused') return;
      const faults = events.filter((f) => f.type === 'replicaFault').length;
      setTimeout(() => (faults === 1 ? trainer.recoverWith('restart') : void trainer.stop()));
    });
    await trainer.start();
    expect(events.filter((e) => e.type === 'replicaFault')).toMatchObject([{ replica: 1, step: faultStep, cause: 'exited' }]);
    expect(events.filter((e) => e.type === 'mirroredSetup').at(-1)).toMatchObject({ replicas: 2, replicaIds: [0, 2] });
    expect(trainer.state).toBe('finished');
    expect(events.find((e) => e.type === 'backendChosen')).toMatchObject({ backend: 'webgpu', precision: 'mixed_float16', kernels: 'fused WGSL f16' });
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);

    const steps = stepsOf(events);
    expect(steps.map((s) => s.step)).toEqual([...referenceSteps.keys()].map((i) => i + 1));
    // By the fault the scale had left its start: a replica on a fresh loss scaler would disagree.
    expect(steps[faultStep - 1].lossScale).toBeLessThan(2 ** 22);
    // Same skips and scales as one replica; both replicas reported the same outcome (else a warning above).
    expect(steps.map((s) => [s.skipped, s.lossScale])).toEqual(referenceSteps.map((s) => [s.skipped, s.lossScale]));
    expect(steps[0]).toMatchObject({ skipped: true, lossScale: 2 ** 23 });
    const applied = steps.filter((s) => !s.skipped).length;
    expect(applied).toBeGreaterThanOrEqual(steps.length / 2);
    // Per-step losses: the same f16 kernels on half batches, sums reduced in another order; Adam carries
    // those rounding differences forward (measured on lavapipe: 8e-8 relative loss, 4e-6 weights).
    let worst = 0;
    steps.forEach((s, i) => (worst = Math.max(worst, Math.abs(s.loss - referenceSteps[i].loss) / referenceSteps[i].loss)));
    expect(worst).toBeLessThan(1e-5);

    const checks = events.filter((e): e is Extract<TrainerEvent, { type: 'replicaChecksums' }> => e.type === 'replicaChecksums');
    expect(checks.length).toBeGreaterThanOrEqual(steps.length);
    expect(checks.every((c) => c.identical)).toBe(true);
    const state = store.saved.at(-1)!.state;
    const weights = state.slice(0, referenceWeights.length);
    expect(state.at(-1)![0]).toBe(applied);
    expect(referenceAdamStep).toBe(applied);
    expect(weights.every((w) => w.every(Number.isFinite))).toBe(true);
    const weightDifference = maxAbsDifference(weights, referenceWeights);
    expect(weightDifference).toBeLessThan(1e-4);
    console.log(`mirrored vs in-process over ${steps.length} steps (${steps.length - applied} skipped): worst relative loss difference ${worst.toExponential(2)}, max |weight difference| ${weightDifference.toExponential(2)}`);
  });
});
