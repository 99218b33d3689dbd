import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCaptionBatch, prefixArrays, sequenceArrays, sliceCaptionBatch, batchTokenCount } from '../../../src/model/batches';
import { initialWeights, type CaptionModelConfig } from '../../../src/model/captionModel';
import { lossAndGradientSums } from '../../../src/model/gradients';

const config: CaptionModelConfig = { vocabSize: 13, maxLength: 7, featureDim: 6, units: 5, embedDim: 4, dropout: 0 };

function sampleBatch() {
  const feats = (k: number) => Float32Array.from({ length: 6 }, (_, i) => Math.sin(k * 7 + i));
  return makeCaptionBatch(
    [
      { features: feats(1), captions: [[1, 4, 5, 2], [1, 6, 7, 8, 9, 2]] },
      { features: feats(2), captions: [[1, 3, 2], [1, 10, 11, 12, 3, 4, 2]] },
      { features: feats(3), captions: [[1, 5, 5, 5, 2]] },
    ],
    config.featureDim,
  );
}

async function run(layout: 'prefix' | 'sequence', weights: Float32Array[]) {
  const params = weights.map((w, i) => tf.tensor(w, paramShape(i)));
  const { lossSum, gradients, tokenCount } = lossAndGradientSums(params, config, sampleBatch(), { layout, dropout: 0 });
  const out = { loss: (await lossSum.data())[0] / tokenCount, grads: gradients.map((g) => g.dataSync().map((x) => x / tokenCount)), tokenCount };
  [lossSum, ...gradients, ...params].forEach((t) => t.dispose());
  return out;
}

function paramShape(i: number): number[] {
  const { featureDim: f, units: u, embedDim: e, vocabSize: v } = config;
  return [[f, u], [u], [v, e], [e, 4 * u], [u, 4 * u], [4 * u], [u, u], [u], [u, v], [v]][i];
}

describe.each(['wasm', 'cpu'])('layouts on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('prefix and sequence give the same mean loss and gradients', async () => {
    const weights = initialWeights(config, 7);
    const a = await run('prefix', weights);
    const b = await run('sequence', weights);
    expect(a.tokenCount).toBe(3 + 5 + 2 + 6 + 4);
    expect(b.tokenCount).toBe(a.tokenCount);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    expect(a.loss).toBeGreaterThan(1);
    for (let k = 0; k < a.grads.length; k++) {
      const scale = Math.max(...a.grads[k].map(Math.abs));
      expect(scale, `gradient ${k} is not all zero`).toBeGreaterThan(0);
      for (let i = 0; i < a.grads[k].length; i++) {
        expect(Math.abs(a.grads[k][i] - b.grads[k][i])).toBeLessThan(1e-5 + 1e-4 * scale);
      }
    }
  });
});

describe('batch arrays', () => {
  it('prefix samples are right-aligned prefixes with the next word as target', () => {
    const p = prefixArrays(sampleBatch(), config.maxLength, false);
    expect(p.steps).toBe(7);
    expect(Array.from(p.inputs.slice(0, 7))).toEqual([0, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(p.inputs.slice(14, 21))).toEqual([0, 0, 0, 0, 1, 4, 5]);
    expect(Array.from(p.targets.slice(0, 3))).toEqual([4, 5, 2]);
    expect(Array.from(p.sampleImage.slice(0, 4))).toEqual([0, 0, 0, 0]);
  });

  it('sequence rows are post-padded inputs with targets at the real positions only', () => {
    const s = sequenceArrays(sampleBatch());
    expect(s.steps).toBe(6);
    expect(Array.from(s.inputs.slice(0, 6))).toEqual([1, 4, 5, 0, 0, 0]);
    expect(Array.from(s.targets.slice(0, 3))).toEqual([4, 5, 2]);
    expect(Array.from(s.targetPositions.slice(0, 4))).toEqual([0, 1, 2, 6]);
  });

  it('slices keep whole images and their token counts add up', () => {
    const batch = sampleBatch();
    const parts = [sliceCaptionBatch(batch, 0, 1), sliceCaptionBatch(batch, 1, 3)];
    expect(parts.map(batchTokenCount).reduce((x, y) => x + y)).toBe(batchTokenCount(batch));
    expect(Array.from(parts[1].captionImage)).toEqual([0, 0, 1]);
  });
});
