/**
 * A mixed_float16 training run on real f16 (Dawn + lavapipe) that meets a gradient overflow: the loss scaler
 * must skip that step (weights untouched, no NaN/Inf reaches them), halve the scale, and apply the next step.
 * Model: fusedLstm (f16) → last step → fusedDense (f16) → mean. With scale 2^15 the dense layer's input
 * gradient is (scale / 4) · w = 8192 · 10 = 81920 per f16 product, above f16's max 65504 → +Inf. At 2^14 each
 * product is 40960 and fits; their sum is accumulated in f32.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fusedLstm } from '../../../src/gpu/kernels/fusedLstm';
import { fusedDense } from '../../../src/gpu/kernels/matmul';
import { LossScaler, scaledStep, type LossScaleEvent } from '../../../src/model/precision';
import { randomArray, setupGpu } from './setup';
import { skipUnlessPresent } from '../../prerequisites.ts';

const gpu = await setupGpu();
const reason = !gpu.engine ? gpu.skipReason : !gpu.engine.shaderF16 ? 'adapter has no shader-f16' : '';

describe.skipIf(skipUnlessPresent(reason, 'shader-f16'))(`mixed_float16 training with loss scaling on ${gpu.adapter} ${reason}`, () => {
  afterAll(() => gpu.engine?.assertNoErrors());

  it('skips the overflowing step, halves the scale, then trains with finite weights', async () => {
    const [B, T, E, H, M] = [2, 3, 4, 8, 2];
    const variables = {
      kernel: tf.variable<tf.Rank.R2>(tf.tensor2d(randomArray(E * 4 * H, 21, 0.3), [E, 4 * H]), true, 'k'),
      recurrent: tf.variable<tf.Rank.R2>(tf.tensor2d(randomArray(H * 4 * H, 22, 0.3), [H, 4 * H]), true, 'r'),
      bias: tf.variable<tf.Rank.R1>(tf.zeros([4 * H]), true, 'b'),
      dense: tf.variable<tf.Rank.R2>(tf.fill([H, M], 10), true, 'w'),
      denseBias: tf.variable<tf.Rank.R1>(tf.zeros([M]), true, 'wb'),
    };
    const list = Object.values(variables);
    const x = tf.tensor3d(randomArray(B * T * E, 23), [B, T, E]);
    const mask = tf.tensor2d([1, 1, 1, 0, 1, 1], [B, T]);
    const lossFn = () =>
      tf.tidy(() => {
        const h = fusedLstm(x, mask, variables.kernel, variables.recurrent, variables.bias, { precision: 'mixed_float16' });
        const last = tf.reshape(tf.slice(h, [0, T - 1, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
        return tf.mean(fusedDense(last, variables.dense, variables.denseBias, { precision: 'mixed_float16' })) as tf.Scalar;
      });
    const scaler = new LossScaler(); // 2^15, Keras defaults
    const events: LossScaleEvent[] = [];
    scaler.on((e) => events.push(e));
    const optimizer = tf.train.adam(1e-3);
    const snapshot = async () => Promise.all(list.map(async (v) => Array.from(await v.data())));
    const before = await snapshot();
    const tensorsBefore = tf.memory().numTensors;

    const first = await scaledStep(lossFn, list, optimizer, scaler);
    expect(first).toMatchObject({ skipped: true, scale: 2 ** 14 });
    expect(Number.isFinite(first.loss)).toBe(true); // the forward pass was fine; only the scaled gradient overflowed
    expect(await snapshot()).toEqual(before);

    const second = await scaledStep(lossFn, list, optimizer, scaler);
    expect(second).toMatchObject({ skipped: false, scale: 2 ** 14 });
    const after = await snapshot();
    expect(after.flat().every(Number.isFinite)).toBe(true);
    expect(after).not.toEqual(before);
    expect(events).toEqual([{ type: 'stepSkipped', step: 1, scaleBefore: 2 ** 15, scaleAfter: 2 ** 14 }]);
    // Adam creates its slot variables on the first applied step; nothing else may stay behind.
    const adamSlots = 2 * list.length + 2;
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensorsBefore + adamSlots);
    gpu.engine!.assertNoErrors();
    optimizer.dispose();
    tf.dispose([x, mask, ...list]);
  });
});
