import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { prefetch } from '../../../src/engine/training/prefetch';
import { batchTokenCount, makeCaptionBatch, sliceCaptionBatch } from '../../../src/model/batches';
import type { CaptionModelConfig } from '../../../src/model/captionModel';
import { CaptionReplicaModel } from '../../../src/model/replicaStep';

const config: CaptionModelConfig = { vocabSize: 10, maxLength: 6, featureDim: 4, units: 5, embedDim: 3, dropout: 0 };
const batch = makeCaptionBatch(
  [0, 1, 2, 3].map((i) => ({
    features: Float32Array.from({ length: 4 }, (_, k) => Math.sin(i * 4 + k)),
    captions: [[1, 3 + i, 2], [1, 4, 5 + i, 6, 2]],
  })),
  4,
);

describe('caption replica model', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  for (const layout of ['sequence', 'prefix'] as const) {
    it(`${layout}: shard gradient sums add up to the full batch's`, async () => {
      const replica = new CaptionReplicaModel({ config, layout, learningRate: 0.01, seed: 1 });
      const full = await replica.computeGradients(batch);
      const parts = await Promise.all([sliceCaptionBatch(batch, 0, 1), sliceCaptionBatch(batch, 1, 4)].map((b) => replica.computeGradients(b)));
      expect(parts[0].tokenCount + parts[1].tokenCount).toBe(full.tokenCount);
      expect(full.tokenCount).toBe(batchTokenCount(batch));
      expect(parts[0].lossSum + parts[1].lossSum).toBeCloseTo(full.lossSum, 4);
      full.gradients.forEach((g, k) => {
        for (let i = 0; i < g.length; i++) expect(parts[0].gradients[k][i] + parts[1].gradients[k][i]).toBeCloseTo(g[i], 5);
      });
      replica.dispose();
    });
  }

  it('a batch run in chunks gives the same gradient sums as in one pass', async () => {
    const { lossAndGradientSums } = await import('../../../src/model/gradients');
    const { initialWeights } = await import('../../../src/model/captionModel');
    const params = initialWeights(config, 4).map((w, i) => tf.tensor(w, new CaptionReplicaModel({ config, layout: 'prefix', learningRate: 0, seed: 0 }).variables[i].shape));
    const whole = lossAndGradientSums(params, config, batch, { layout: 'prefix', dropout: 0, maxChunkTokens: Infinity });
    const chunked = lossAndGradientSums(params, config, batch, { layout: 'prefix', dropout: 0, maxChunkTokens: 7 });
    expect(chunked.tokenCount).toBe(whole.tokenCount);
    expect((await chunked.lossSum.data())[0]).toBeCloseTo((await whole.lossSum.data())[0], 4);
    for (let k = 0; k < params.length; k++) {
      const [a, b] = [await whole.gradients[k].data(), await chunked.gradients[k].data()];
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    }
    tf.dispose([...params, whole.lossSum, ...whole.gradients, chunked.lossSum, ...chunked.gradients]);
  });

  it('applies mean gradients with Adam, exports and imports its whole state, leaks nothing', async () => {
    const a = new CaptionReplicaModel({ config, layout: 'sequence', learningRate: 0.01, seed: 1 });
    const b = new CaptionReplicaModel({ config, layout: 'sequence', learningRate: 0.01, seed: 2 });
    expect(await a.weightChecksum()).not.toBe(await b.weightChecksum());
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      const sums = await a.computeGradients(batch);
      const losses = sums.lossSum / sums.tokenCount;
      expect(losses).toBeGreaterThan(0);
      await a.applyGradients(sums.gradients.map((g) => g.map((x) => x / sums.tokenCount)));
    }
    expect(tf.memory().numTensors).toBe(before);
    await b.setState(await a.getState());
    expect(await b.weightChecksum()).toBe(await a.weightChecksum());
    const next = await a.computeGradients(batch);
    const mean = next.gradients.map((g) => g.map((x) => x / next.tokenCount));
    await a.applyGradients(mean);
    await b.applyGradients(mean);
    expect(await b.weightChecksum()).toBe(await a.weightChecksum());
    expect(a.variables[2]).toMatchObject({ name: 'embedding/embeddings', sparseRows: true });
    // One weight off by 1e-3 (what a faulty replica would hold): the checksum must see it.
    const perturbed = await b.getState();
    perturbed[1][0] += 1e-3;
    await b.setState(perturbed);
    expect(await b.weightChecksum()).not.toBe(await a.weightChecksum());
    a.dispose();
    b.dispose();
  });
});

describe('prefetch pipeline', () => {
  it('yields every item in order and builds ahead while the consumer waits', async () => {
    const built: number[] = [];
    function* source() {
      for (let i = 0; i < 5; i++) {
        built.push(i);
        yield i;
      }
    }
    const seen: number[] = [];
    const aheadWhenConsumed: number[] = [];
    for await (const item of prefetch(source(), 2)) {
      await new Promise((r) => setTimeout(r, 5)); // a "training step" that waits on the device
      aheadWhenConsumed.push(built.length - item - 1);
      seen.push(item);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(Math.max(...aheadWhenConsumed)).toBeGreaterThanOrEqual(1);
  });
});
