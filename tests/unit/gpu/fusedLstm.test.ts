/**
 * Fused LSTM (WGSL) against the stock-op LSTM on the cpu backend: forward and all gradients, f32 and f16,
 * with masks that pre-pad, post-pad, hole in the middle, and mask a whole row.
 * Tolerances are relative to the largest magnitude of each tensor (scale-relative), because single elements
 * can cancel to ~0. f32: 2e-5 (different summation order, T=6 recurrent steps). f16: each matmul term carries
 * <= 1.5e-3 relative error (operands and product rounded to f16, see gpu-matmul.test.ts); a gate sums
 * E + H = 27 such terms of mixed sign, the activations have slope <= 1 and the cell state forgets (f < 1),
 * so errors stay ~1e-3 of the largest value per step; 1e-2 forward and 2e-2 for gradients (which pass through
 * two more f16 matmuls) leave margin without letting a wrong kernel pass (a wrong gate or mask gives O(1) errors).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fusedLstm, lstmReference } from '../../../src/gpu/kernels/fusedLstm';
import { onCpu, randomArray, setupGpu } from './setup';
import { skipUnlessPresent } from '../../prerequisites.ts';

const gpu = await setupGpu();
const f16Reason = gpu.engine && !gpu.engine.shaderF16 ? 'adapter has no shader-f16' : '';

const [B, T, E, H] = [5, 6, 7, 20];
const maskRows = [
  [1, 1, 1, 1, 1, 1],
  [0, 0, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 0],
  [1, 1, 0, 1, 1, 1],
  [0, 0, 0, 0, 0, 0],
];
const data = {
  x: randomArray(B * T * E, 11),
  kernel: randomArray(E * 4 * H, 12, 0.4),
  recurrent: randomArray(H * 4 * H, 13, 0.4),
  bias: randomArray(4 * H, 14, 0.3),
  upstream: randomArray(B * T * H, 15),
  mask: new Float32Array(maskRows.flat()),
};

type Lstm = (x: tf.Tensor3D, m: tf.Tensor2D, k: tf.Tensor2D, r: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor3D;

/** [hSeq, dx, dKernel, dRecurrent, dBias] of loss = Σ hSeq · upstream. */
function forwardAndGrads(lstm: Lstm): tf.Tensor[] {
  const mask = tf.tensor2d(data.mask, [B, T]);
  const upstream = tf.tensor3d(data.upstream, [B, T, H]);
  const inputs = [
    tf.tensor3d(data.x, [B, T, E]),
    tf.tensor2d(data.kernel, [E, 4 * H]),
    tf.tensor2d(data.recurrent, [H, 4 * H]),
    tf.tensor1d(data.bias),
  ];
  const run = (x: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor) =>
    lstm(x as tf.Tensor3D, mask, k as tf.Tensor2D, r as tf.Tensor2D, b as tf.Tensor1D);
  const grads = tf.grads((x, k, r, b) => tf.sum(tf.mul(run(x, k, r, b), upstream)))(inputs);
  return [run(inputs[0], inputs[1], inputs[2], inputs[3]), ...grads];
}

function scaleRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst / scale;
}

const names = ['hSeq', 'dx', 'dKernel', 'dRecurrent', 'dBias'];

describe.skipIf(skipUnlessPresent(gpu.skipReason, 'a WebGPU adapter in Node (Dawn)'))(`fused LSTM on ${gpu.adapter || 'no adapter'} ${gpu.skipReason}`, () => {
  afterAll(() => gpu.engine?.assertNoErrors());

  it('the cpu reference keeps state over masked steps (a fully masked row stays 0)', async () => {
    const [h] = await onCpu(() => [forwardAndGrads(lstmReference)[0]]);
    for (let i = 4 * T * H; i < 5 * T * H; i++) expect(h[i]).toBe(0);
    // Row 2 is post-padded: its last two outputs repeat step 3.
    for (let j = 0; j < H; j++) expect(h[(2 * T + 5) * H + j]).toBe(h[(2 * T + 3) * H + j]);
  });

  // Kernel shapes default to the adapter's (lavapipe: 'cpu'); 'gpu' runs the real-GPU shapes here too.
  const runs = [['float32', undefined], ['float32', 'gpu'], ['mixed_float16', undefined]] as const;
  for (const [precision, kernelShapes] of runs) {
    it.skipIf(precision === 'mixed_float16' && skipUnlessPresent(f16Reason, 'shader-f16'))(`${precision}${kernelShapes ? ` (${kernelShapes} kernel shapes)` : ''}: forward and gradients match the stock LSTM ${f16Reason}`, async () => {
      const want = await onCpu(() => forwardAndGrads(lstmReference));
      const before = tf.memory().numTensors;
      const gotTensors = tf.tidy(() => forwardAndGrads((x, m, k, r, b) => fusedLstm(x, m, k, r, b, { precision, kernelShapes })));
      const got = await Promise.all(gotTensors.map((t) => t.data()));
      tf.dispose(gotTensors);
      expect(tf.memory().numTensors).toBe(before);
      const [fwdTol, gradTol] = precision === 'float32' ? [2e-5, 2e-5] : [1e-2, 2e-2];
      const errors = Object.fromEntries(names.map((n, i) => [n, scaleRelativeError(got[i], want[i])]));
      for (const [i, name] of names.entries()) {
        expect(errors[name], `${name} ${JSON.stringify(errors)}`).toBeLessThan(i === 0 ? fwdTol : gradTol);
      }
      if (precision === 'mixed_float16') expect(errors.hSeq).toBeGreaterThan(1e-6); // really rounded in f16
      gpu.engine!.assertNoErrors();
    });
  }

  it.skipIf(skipUnlessPresent(f16Reason, 'shader-f16'))(`mixed_float16: the recurrent step itself multiplies in f16 (zero input kernel: xw is exact) ${f16Reason}`, async () => {
    const run = (precision: 'float32' | 'mixed_float16') =>
      fusedLstm(tf.tensor3d(data.x, [B, T, E]), tf.tensor2d(data.mask, [B, T]), tf.zeros([E, 4 * H]),
        tf.tensor2d(data.recurrent, [H, 4 * H]), tf.fill([4 * H], 0.5) as tf.Tensor1D, { precision });
    const [f32, f16] = tf.tidy(() => [run('float32'), run('mixed_float16')]);
    const error = scaleRelativeError(await f16.data(), await f32.data());
    tf.dispose([f32, f16]);
    // Only h_{t-1} @ U can round here; an f32 step kernel would agree to ~1e-7.
    expect(error).toBeGreaterThan(1e-5);
    expect(error).toBeLessThan(1e-2);
    gpu.engine!.assertNoErrors();
  });

  it('takes an int32 mask (tfjs casts it by sharing the int32 buffer; the op materialises f32)', async () => {
    const [a, b] = tf.tidy(() => {
      const x = tf.tensor3d(data.x, [B, T, E]);
      const args = [tf.tensor2d(data.kernel, [E, 4 * H]), tf.tensor2d(data.recurrent, [H, 4 * H]), tf.tensor1d(data.bias)] as const;
      return [
        fusedLstm(x, tf.tensor2d(data.mask, [B, T]), ...args),
        fusedLstm(x, tf.tensor2d(Int32Array.from(data.mask), [B, T], 'int32'), ...args),
      ];
    });
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([a, b]);
    gpu.engine!.assertNoErrors();
  });

  it('rejects shapes that do not fit, naming them', () => {
    expect(() =>
      tf.tidy(() => fusedLstm(tf.zeros([2, 3, 4]), tf.zeros([2, 3]), tf.zeros([4, 8]), tf.zeros([3, 8]), tf.zeros([8]))),
    ).toThrow(/recurrentKernel 3,8/);
  });
});
