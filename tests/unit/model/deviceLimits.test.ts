/**
 * Sizes over the adapter's limits (issue 15.5), on a real WebGPU device (Dawn in Node; lavapipe here) with
 * the limits a device gets by default, the smallest WebGPU allows (maxStorageBufferBindingSize 128 MiB):
 * a batch whose logits ([tokens, vocabulary] float32) exceed the limit is split into passes that fit (said
 * once), with the same gradients as one pass on the CPU; a vocabulary whose weights exceed it is refused
 * before anything reaches the GPU, with the limit, the size asked and what fits.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuEngine, type GpuEngine } from '../../../src/gpu/device.ts';
import { nodeGpu } from '../../../src/gpu/nodeGpu.ts';
import { makeCaptionBatch, type CaptionBatch } from '../../../src/model/batches.ts';
import { initialWeights, paramSpecs, type CaptionModelConfig } from '../../../src/model/captionModel.ts';
import { lossAndGradientSums, lossSum } from '../../../src/model/gradients.ts';
import { passTokens } from '../../../src/model/deviceLimits.ts';
import { UserError } from '../../../src/core/errors.ts';
import { CaptionReplicaModel } from '../../../src/model/replicaStep.ts';
import { skipUnlessPresent } from '../../prerequisites.ts';

let engine: GpuEngine | null = null;
let missing = '';
try {
  engine = await createGpuEngine(await nodeGpu(), { limits: 'default' });
  if (!engine) missing = 'Dawn found no WebGPU adapter (install mesa-vulkan-drivers: lavapipe)';
} catch (error) {
  missing = `no WebGPU in Node: ${(error as Error).message}`;
}

/** The notebook's vocabulary size with tiny layers: the logits dominate, the arithmetic stays cheap. */
const config: CaptionModelConfig = { vocabSize: 8500, maxLength: 16, featureDim: 8, units: 16, embedDim: 8, dropout: 0 };

/** 64 images × 5 captions of 15 targets: 4800 target tokens; their logits are 4800 × 8500 × 4 = 155.6 MiB. */
function bigBatch(): CaptionBatch {
  let state = 7;
  const next = (n: number) => ((state = (state * 1103515245 + 12345) >>> 0) % n);
  return makeCaptionBatch(
    Array.from({ length: 64 }, () => ({
      features: Float32Array.from({ length: 8 }, () => next(1000) / 1000),
      captions: Array.from({ length: 5 }, () => [1, ...Array.from({ length: 14 }, () => 3 + next(8497)), 2]),
    })),
    8,
  );
}

describe.skipIf(skipUnlessPresent(missing, 'a WebGPU adapter in Node'))('buffers over the device limits', () => {
  let cpuSums: { lossSum: number; gradients: Float32Array[] };

  beforeAll(async () => {
    expect(engine!.device.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    const params = initialWeights(config, 3);
    // One pass on the CPU through wasm (XNNPACK): the tfjs cpu backend's JavaScript kernels take many times as long
    // over the 4800 × 8500 logits.
    await tf.setBackend('wasm');
    const tensors = params.map((w, i) => tf.tensor(w, paramSpecs(config)[i].shape));
    const sums = lossAndGradientSums(tensors, config, bigBatch(), { layout: 'sequence', dropout: 0 });
    cpuSums = { lossSum: (await sums.lossSum.data())[0], gradients: await Promise.all(sums.gradients.map(async (g) => (await g.data()) as Float32Array)) };
    tf.dispose([...tensors, sums.lossSum, ...sums.gradients]);
    await engine!.useAsTfjsBackend();
  }, 300_000);

  afterAll(() => engine?.destroy());

  it('a batch whose logits exceed maxStorageBufferBindingSize runs in passes that fit: the same gradients, no WebGPU error', async () => {
    const replica = new CaptionReplicaModel({ config, layout: 'sequence', learningRate: 0.01, seed: 3 });
    const sums = await replica.computeGradients(bigBatch());
    engine!.assertNoErrors();
    expect(sums.tokenCount).toBe(64 * 5 * 15);
    expect(sums.lossSum).toBeCloseTo(cpuSums.lossSum, 0);
    expect(Math.abs(sums.lossSum - cpuSums.lossSum) / cpuSums.lossSum).toBeLessThan(1e-4);
    sums.gradients.forEach((g, k) => {
      // Sums over 4800 tokens in float32, in another order on each backend: compared to their scale.
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < g.length; i++) {
        worst = Math.max(worst, Math.abs(g[i] - cpuSums.gradients[k][i]));
        scale = Math.max(scale, Math.abs(cpuSums.gradients[k][i]));
      }
      expect(worst / scale, paramSpecs(config)[k].name).toBeLessThan(1e-3);
    });
    replica.dispose();
  }, 300_000);

  it('says so once, in one line: the limit, the tokens per pass and why', () => {
    const plan = passTokens(config, 'sequence', 4096);
    expect(plan.tokens).toBe(Math.floor((128 * 2 ** 20) / (4 * 8500)));
    expect(plan.deviceNote).toBe(
      "this device's maxStorageBufferBindingSize (128.0 MiB) holds the logits of at most 3947 target tokens (34000 bytes each at a vocabulary of 8500): " +
        'each batch is computed in passes of at most 3947 tokens instead of 4096, with the same gradients',
    );
  });

  it('the validation loss (no gradients, passes of 8192 tokens by default) fits too', async () => {
    const replica = new CaptionReplicaModel({ config, layout: 'sequence', learningRate: 0.01, seed: 3 });
    const sum = lossSum(replica.model.variables, config, bigBatch(), 'sequence');
    const value = (await sum.data())[0];
    sum.dispose();
    engine!.assertNoErrors();
    expect(Math.abs(value - cpuSums.lossSum) / cpuSums.lossSum).toBeLessThan(1e-4);
    replica.dispose();
  }, 300_000);

  it('a vocabulary whose weights exceed one buffer is refused before anything reaches the GPU: limit, size asked, what fits', () => {
    const huge: CaptionModelConfig = { ...config, vocabSize: 140_000, units: 256, embedDim: 256 };
    const tensors = tf.memory().numTensors;
    let error: unknown = null;
    try {
      new CaptionReplicaModel({ config: huge, layout: 'sequence', learningRate: 0.01, seed: 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      "weight embedding/embeddings [140000, 256] needs 136.7 MiB in one buffer, over this device's maxStorageBufferBindingSize of 128.0 MiB (WebGPU): " +
        'a vocabulary of at most 131071 words fits with 256 units and embedding 256; use fewer words or units, or the wasm backend',
    );
    expect(tf.memory().numTensors).toBe(tensors);
    engine!.assertNoErrors();
  });
});
