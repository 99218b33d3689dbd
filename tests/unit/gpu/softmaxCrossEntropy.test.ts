/**
 * Fused output projection + softmax cross-entropy against stock ops on the cpu backend (one-hot, logSoftmax,
 * weighted mean): loss and gradients in f32 to 1e-5 relative; f16 projection within 1e-2 (the logits carry
 * the matmul's <= 1.5e-3·Σ|terms| error, see gpu-matmul.test.ts; softmax and log-sum-exp are f32).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fusedOutputLoss } from '../../../src/gpu/kernels/softmaxCrossEntropy';
import { maxRelativeError, onCpu, randomArray, setupGpu } from './setup';
import { skipUnlessPresent } from '../../prerequisites.ts';

const gpu = await setupGpu();
const f16Reason = gpu.engine && !gpu.engine.shaderF16 ? 'adapter has no shader-f16' : '';
const [N, K, V] = [9, 12, 301];
const labels = Array.from({ length: N }, (_, i) => (i * 97) % V);
const weights = [1, 1, 0, 1, 1, 1, 0, 0, 1];
const hData = randomArray(N * K, 31, 2);
const wData = randomArray(K * V, 32, 1);
const bData = randomArray(V, 33, 0.5);

type LossFn = (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar;

function lossAndGrads(loss: LossFn): tf.Tensor[] {
  const inputs = [tf.tensor2d(hData, [N, K]), tf.tensor2d(wData, [K, V]), tf.tensor1d(bData)];
  const { value, grads } = tf.valueAndGrads((h: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    loss(h as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
  )(inputs);
  return [value, ...grads];
}

const stock: LossFn = (h, w, b) => {
  const logp = tf.logSoftmax(tf.add(tf.matMul(h, w), b));
  const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), V);
  const perRow = tf.neg(tf.sum(tf.mul(oneHot, logp), 1));
  const mask = tf.tensor1d(weights);
  return tf.div(tf.sum(tf.mul(perRow, mask)), tf.sum(mask)) as tf.Scalar;
};

describe.skipIf(skipUnlessPresent(gpu.skipReason, 'a WebGPU adapter in Node (Dawn)'))(`fused output projection + softmax CE on ${gpu.adapter || 'no adapter'} ${gpu.skipReason}`, () => {
  afterAll(() => gpu.engine?.assertNoErrors());

  for (const precision of ['float32', 'mixed_float16'] as const) {
    it.skipIf(precision === 'mixed_float16' && skipUnlessPresent(f16Reason, 'shader-f16'))(`${precision}: loss and gradients match stock ops ${f16Reason}`, async () => {
      const want = await onCpu(() => lossAndGrads(stock));
      const before = tf.memory().numTensors;
      const gotTensors = tf.tidy(() =>
        lossAndGrads((h, w, b) => fusedOutputLoss(h, w, b, tf.tensor1d(labels, 'int32'), tf.tensor1d(weights), { precision })),
      );
      const got = await Promise.all(gotTensors.map((t) => t.data()));
      tf.dispose(gotTensors);
      expect(tf.memory().numTensors).toBe(before);
      const tolerance = precision === 'float32' ? 1e-5 : 1e-2;
      ['loss', 'dh', 'dw', 'db'].forEach((name, i) =>
        expect(maxRelativeError(got[i], want[i], 1e-2), name).toBeLessThan(tolerance),
      );
      // Rows with weight 0 contribute nothing: dh of row 2 is exactly 0.
      expect(Array.from(got[1].slice(2 * K, 3 * K)).every((v) => v === 0)).toBe(true);
      gpu.engine!.assertNoErrors();
    });
  }
});
