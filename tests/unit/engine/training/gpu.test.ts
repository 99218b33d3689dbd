/**
 * The caption model's training pass on WebGPU (Dawn + lavapipe in Node): stock tfjs ops, the fused WGSL
 * kernels in f32 and in f16 compute, against the cpu backend; then whole mixed_float16 runs of the
 * in-process trainer, one of which starts at a loss scale whose f16 gradients really overflow.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFolder, generateDemoScenes } from '../../../../src/core/data/demo';
import { loadDataset } from '../../../../src/core/data/load';
import { buildCorpus } from '../../../../src/core/text/protocols';
import { buildCaptionDataset, captionModelConfigFor, type CaptionDataset } from '../../../../src/engine/training/captionData';
import { demoSceneFeatures } from '../../../support/demoFeatures';
import { InProcessTrainer } from '../../../../src/engine/training/inProcessTrainer';
import { defaultTrainConfig, type TrainConfig, type TrainerEvent } from '../../../../src/engine/training/trainer';
import { makeCaptionBatch } from '../../../../src/model/batches';
import { initialWeights } from '../../../../src/model/captionModel';
import { lossAndGradientSums } from '../../../../src/model/gradients';
import { chooseModelKernels } from '../../../../src/model/kernelChoice';
import { useModelKernels } from '../../../../src/model/kernels';
import { setupGpu } from '../../gpu/setup';
import { skipUnlessPresent } from '../../../prerequisites.ts';

const gpu = await setupGpu();
const demo = { images: 40, seed: 11 };
const sizes = { units: 16, embedDim: 16 };
let data: CaptionDataset;

type StepEvent = Extract<TrainerEvent, { type: 'stepCompleted' }>;

/** Loss sum and gradient sums of one batch on the current backend and kernels, as plain arrays. */
async function gradientsOf(layout: 'sequence' | 'prefix'): Promise<{ loss: number; grads: Float32Array[] }> {
  const config = captionModelConfigFor(data, 0, sizes);
  const params = initialWeights(config, 7).map((w, i) => tf.tensor(w, paramShape(config, i)));
  const batch = makeCaptionBatch(data.train.slice(0, 6), data.featureDim);
  const { lossSum, gradients } = lossAndGradientSums(params, config, batch, { layout, dropout: 0 });
  const loss = (await lossSum.data())[0];
  const grads = (await Promise.all(gradients.map((g) => g.data()))) as Float32Array[];
  tf.dispose([lossSum, ...gradients, ...params]);
  return { loss, grads };
}

function paramShape(config: ReturnType<typeof captionModelConfigFor>, i: number): number[] {
  const { featureDim: f, units: u, embedDim: e, vocabSize: v } = config;
  return [[f, u], [u], [v, e], [e, 4 * u], [u, 4 * u], [4 * u], [u, u], [u], [u, v], [v]][i];
}

/** ‖got − want‖ / ‖want‖ over all gradients together. */
function relativeNorm(got: Float32Array[], want: Float32Array[]): number {
  let diff = 0;
  let norm = 0;
  want.forEach((w, k) => w.forEach((x, i) => ((diff += (got[k][i] - x) ** 2), (norm += x * x))));
  return Math.sqrt(diff / norm);
}

const trainConfig = (over: Partial<TrainConfig>): TrainConfig => ({
  ...defaultTrainConfig,
  epochs: 3,
  batchSize: 8,
  learningRate: 0.01,
  dropout: 0,
  validationSample: 0,
  ...over,
});

describe.skipIf(skipUnlessPresent(gpu.skipReason, 'a WebGPU adapter in Node (Dawn)'))(`caption model training on WebGPU (${gpu.adapter || gpu.skipReason})`, () => {
  beforeAll(async () => {
    const ds = await loadDataset(demoFolder(demo));
    data = buildCaptionDataset(buildCorpus(ds, 'standard'), demoSceneFeatures(generateDemoScenes(demo), 24));
  });
  afterAll(() => {
    useModelKernels(null);
    gpu.engine?.assertNoErrors();
  });

  for (const layout of ['sequence', 'prefix'] as const) {
    it(`${layout} layout: fused f32 kernels and stock ops on webgpu give the cpu backend's loss and gradients`, async () => {
      await tf.setBackend('cpu');
      useModelKernels(null);
      const reference = await gradientsOf(layout);
      await tf.setBackend('webgpu');
      expect(await chooseModelKernels({ fusedKernels: false, precision: 'float32' })).toEqual({ precision: 'float32', kernels: 'stock tfjs ops' });
      const stock = await gradientsOf(layout);
      expect(await chooseModelKernels({ fusedKernels: true, precision: 'float32' })).toEqual({ precision: 'float32', kernels: 'fused WGSL f32' });
      const fused = await gradientsOf(layout);
      expect(Math.abs(stock.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
      expect(Math.abs(fused.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
      expect(relativeNorm(stock.grads, reference.grads)).toBeLessThan(1e-5);
      expect(relativeNorm(fused.grads, reference.grads)).toBeLessThan(1e-5);
    });
  }

  it.skipIf(skipUnlessPresent(gpu.engine?.shaderF16 ? '' : 'adapter has no shader-f16', 'shader-f16'))('f16 kernels stay within f16 rounding of the f32 gradients', async () => {
    await tf.setBackend('webgpu');
    await chooseModelKernels({ fusedKernels: true, precision: 'float32' });
    const f32 = await gradientsOf('sequence');
    expect(await chooseModelKernels({ fusedKernels: true, precision: 'mixed_float16' })).toEqual({ precision: 'mixed_float16', kernels: 'fused WGSL f16' });
    const f16 = await gradientsOf('sequence');
    // Operands rounded to f16 (relative error 2^-11 ≈ 4.9e-4 each) through three layers of matmuls with f32
    // accumulation: a few 1e-3 of the gradient norm; the loss within 1e-3 relative.
    expect(Math.abs(f16.loss - f32.loss) / f32.loss).toBeLessThan(1e-3);
    expect(relativeNorm(f16.grads, f32.grads)).toBeLessThan(1e-2);
    expect(relativeNorm(f16.grads, f32.grads)).toBeGreaterThan(0); // really computed in f16
  });

  it.skipIf(skipUnlessPresent(gpu.engine?.shaderF16 ? '' : 'adapter has no shader-f16', 'shader-f16'))('mixed_float16 run from a loss scale that overflows: skipped steps halve the scale, the rest train', async () => {
    await tf.setBackend('webgpu');
    // 2^24 / (tokens of a batch, ~100) puts the output layer's gradients far above f16's 65504: real +-Inf.
    const trainer = new InProcessTrainer({ data, model: sizes, config: trainConfig({ precision: 'mixed_float16', initialLossScale: 2 ** 24, lossScaleGrowthSteps: 4 }) });
    const events: TrainerEvent[] = [];
    trainer.on((e) => events.push(e));
    await trainer.start();
    const chosen = events.find((e) => e.type === 'backendChosen');
    expect(chosen).toMatchObject({ backend: 'webgpu', precision: 'mixed_float16', kernels: 'fused WGSL f16' });
    const steps = events.filter((e): e is StepEvent => e.type === 'stepCompleted');
    const skipped = steps.filter((s) => s.skipped);
    expect(skipped.length).toBeGreaterThan(0);
    expect(steps[0]).toMatchObject({ skipped: true, lossScale: 2 ** 23 });
    // The state machine as the events show it: a skip halves, 4 finite steps in a row double.
    let scale = 2 ** 24;
    let good = 0;
    for (const s of steps) {
      if (s.skipped) {
        scale /= 2;
        good = 0;
      } else if (++good === 4) {
        scale *= 2;
        good = 0;
      }
      expect(s.lossScale).toBe(scale);
    }
    const applied = steps.length - skipped.length;
    expect(applied).toBeGreaterThan(steps.length / 2);
    // Adam counted exactly the applied steps; no NaN or Inf reached a weight.
    expect((await trainer.replica.optimizer.getState()).step).toBe(applied);
    for (const w of await trainer.replica.getWeights()) expect(w.every(Number.isFinite)).toBe(true);
    const epochs = events.filter((e) => e.type === 'epochCompleted');
    expect(epochs.every((e) => e.type === 'epochCompleted' && Number.isFinite(e.trainLoss))).toBe(true);
    await trainer.dispose();
  });

  it.skipIf(skipUnlessPresent(gpu.engine?.shaderF16 ? '' : 'adapter has no shader-f16', 'shader-f16'))('mixed_float16 at the Keras start scale learns like float32', async () => {
    await tf.setBackend('webgpu');
    const losses: Record<string, number[]> = {};
    for (const precision of ['float32', 'mixed_float16'] as const) {
      const trainer = new InProcessTrainer({ data, model: sizes, config: trainConfig({ precision, epochs: 5, learningRate: 0.02 }) });
      const events: TrainerEvent[] = [];
      trainer.on((e) => events.push(e));
      await trainer.start();
      losses[precision] = events.flatMap((e) => (e.type === 'epochCompleted' ? [e.trainLoss] : []));
      const steps = events.filter((e): e is StepEvent => e.type === 'stepCompleted');
      if (precision === 'mixed_float16') expect(steps.every((s) => s.lossScale === 2 ** 15 && s.skipped === false)).toBe(true);
      else expect(steps.every((s) => s.lossScale === undefined)).toBe(true);
      await trainer.dispose();
    }
    expect(losses.float32[4]).toBeLessThan(losses.float32[0] * 0.9);
    // Same seed, same batches: f16 rounding moves the losses by well under a percent (measured: 0.03%).
    losses.mixed_float16.forEach((loss, i) => expect(Math.abs(loss - losses.float32[i]) / losses.float32[i]).toBeLessThan(0.005));
    console.log(`epoch losses float32 ${losses.float32.map((l) => l.toFixed(4))}, mixed_float16 ${losses.mixed_float16.map((l) => l.toFixed(4))}`);
  });
});
