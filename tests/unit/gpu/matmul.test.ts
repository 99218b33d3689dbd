/**
 * The WGSL matmul and fused dense kernels against the cpu backend, f32 and f16, forward and gradients.
 * f16 tolerance, justified: each operand is rounded to f16 (relative error <= u = 2^-11) and the product is
 * rounded in f16 (another <= u), so each term carries relative error <= (1+u)^3 - 1 ≈ 3u ≈ 1.47e-3; the sum is
 * accumulated in f32 (negligible here). Hence |got - want| <= 1.5e-3 · Σ_k |a_ik b_kj| (+ tiny f32 slack),
 * a worst-case bound checked elementwise against |A|·|B|.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { fusedDense, gpuColumnSum, gpuMatmul, type MatmulLayout } from '../../../src/gpu/kernels/matmul';
import { maxBoundRatio, maxRelativeError, onCpu, randomArray, setupGpu } from './setup';
import { skipUnlessPresent } from '../../prerequisites.ts';

const gpu = await setupGpu();
const f16Reason = gpu.engine && !gpu.engine.shaderF16 ? 'adapter has no shader-f16' : '';

describe.skipIf(skipUnlessPresent(gpu.skipReason, 'a WebGPU adapter in Node (Dawn)'))(`WGSL matmul on ${gpu.adapter || 'no adapter'} ${gpu.skipReason}`, () => {
  afterAll(() => gpu.engine?.assertNoErrors());

  const cases: Array<[number, number, number, boolean, boolean]> = [
    [5, 7, 3, false, false],
    [70, 33, 130, true, false],
    [64, 64, 64, false, true],
    [17, 90, 65, true, true],
    [33, 36, 68, false, false], // vec4 loads of both operands, ragged M tile
    // M % 4 == 0 with transA: the rows kernel takes these; N not a multiple of 4 or of a tile, K ragged or not.
    [36, 40, 30, true, false],
    [20, 44, 13, true, true],
    [9, 8, 6, false, false],
    [12, 7, 9, true, false],
    [10, 9, 7, false, true],
    [6, 10, 5, false, false],
  ];
  // Both kernel shapes on every adapter (rows falls back to tiled where the shapes do not fit it).
  for (const [[M, K, N, transA, transB], layout] of cases.flatMap((c) => (['tiled', 'rows'] as MatmulLayout[]).map((l) => [c, l] as const))) {
    it(`f32 ${layout} ${M}x${K}x${N} transA=${transA} transB=${transB} with bias+relu matches cpu to 1e-5`, async () => {
      const aShape: [number, number] = transA ? [K, M] : [M, K];
      const bShape: [number, number] = transB ? [N, K] : [K, N];
      const aData = randomArray(M * K, 1);
      const bData = randomArray(K * N, 2);
      const biasData = randomArray(N, 3);
      const [want, bound] = await onCpu(() => {
        const [a, b, bias] = [tf.tensor2d(aData, aShape), tf.tensor2d(bData, bShape), tf.tensor1d(biasData)];
        return [
          tf.relu(tf.add(tf.matMul(a, b, transA, transB), bias)),
          tf.add(tf.matMul(tf.abs(a), tf.abs(b), transA, transB), tf.abs(bias)),
        ];
      });
      const before = tf.memory().numTensors;
      const got = tf.tidy(() =>
        gpuMatmul(tf.tensor2d(aData, aShape), tf.tensor2d(bData, bShape), {
          transposeA: transA,
          transposeB: transB,
          bias: tf.tensor1d(biasData),
          relu: true,
          layout,
        }),
      );
      const values = await got.data();
      got.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // f32 sums in a different order than the cpu backend: relative to Σ|terms| they agree to ~K·2^-24.
      expect(maxBoundRatio(values, want, bound)).toBeLessThan(1e-5);
      gpu.engine!.assertNoErrors();
    });
  }

  for (const layout of ['tiled', 'rows'] as const) {
    it(`${layout}: shiftRowsOfA reads A's rows one late within groups, zeros first (the LSTM's h_{t-1})`, async () => {
      const [rows, M, N, group] = [12, 8, 6, 4];
      const aData = randomArray(rows * M, 21);
      const bData = randomArray(rows * N, 22);
      const shifted = new Float32Array(rows * M);
      for (let k = 0; k < rows; k++) {
        if (k % group !== 0) shifted.set(aData.subarray((k - 1) * M, k * M), k * M);
      }
      const [want] = await onCpu(() => [tf.matMul(tf.tensor2d(shifted, [rows, M]), tf.tensor2d(bData, [rows, N]), true, false)]);
      const got = tf.tidy(() =>
        gpuMatmul(tf.tensor2d(aData, [rows, M]), tf.tensor2d(bData, [rows, N]), { transposeA: true, shiftRowsOfA: group, layout }),
      );
      expect(maxRelativeError(await got.data(), want, 1e-3)).toBeLessThan(1e-5);
      got.dispose();
      gpu.engine!.assertNoErrors();
    });
  }

  it('gpuColumnSum sums each column in f32', async () => {
    const [M, N] = [37, 70];
    const data = randomArray(M * N, 23);
    const [want] = await onCpu(() => [tf.sum(tf.tensor2d(data, [M, N]), 0)]);
    const got = tf.tidy(() => gpuColumnSum(tf.tensor2d(data, [M, N])));
    expect(maxRelativeError(await got.data(), want, 1e-3)).toBeLessThan(1e-5);
    got.dispose();
    gpu.engine!.assertNoErrors();
  });

  it.skipIf(skipUnlessPresent(f16Reason, 'shader-f16'))(`f16 compute stays within 1.5e-3·(|A|·|B|) of the exact product ${f16Reason}`, async () => {
    const [M, K, N] = [40, 300, 50];
    const aData = randomArray(M * K, 4, 3);
    const bData = randomArray(K * N, 5, 3);
    const [want, bound] = await onCpu(() => {
      const a = tf.tensor2d(aData, [M, K]);
      const b = tf.tensor2d(bData, [K, N]);
      return [tf.matMul(a, b), tf.matMul(tf.abs(a), tf.abs(b))];
    });
    const got = tf.tidy(() => gpuMatmul(tf.tensor2d(aData, [M, K]), tf.tensor2d(bData, [K, N]), { precision: 'mixed_float16' }));
    const values = await got.data();
    got.dispose();
    let worstRatio = 0;
    let anyRoundingSeen = false;
    for (let i = 0; i < want.length; i++) {
      const error = Math.abs(values[i] - want[i]);
      worstRatio = Math.max(worstRatio, error / (bound[i] + 1e-30));
      if (error > 1e-5 * bound[i]) anyRoundingSeen = true;
    }
    expect(worstRatio).toBeLessThan(1.5e-3);
    // Real f16 rounding happened (an f32 kernel would be ~1e-7 here): the test can tell f16 from f32.
    expect(anyRoundingSeen).toBe(true);
    gpu.engine!.assertNoErrors();
  });

  it.skipIf(skipUnlessPresent(f16Reason, 'shader-f16'))(`f16 overflows for real: 60000 * 60000 gives +Inf ${f16Reason}`, async () => {
    const got = tf.tidy(() => gpuMatmul(tf.tensor2d([60000, 1], [1, 2]), tf.tensor2d([60000, 0, 1, 1], [2, 2]), { precision: 'mixed_float16' }));
    const values = Array.from(await got.data());
    got.dispose();
    expect(values[0]).toBe(Infinity);
    expect(values[1]).toBe(1);
    const f32 = tf.tidy(() => gpuMatmul(tf.tensor2d([60000], [1, 1]), tf.tensor2d([60000], [1, 1])));
    expect((await f32.data())[0]).toBe(3.6e9);
    f32.dispose();
  });

  for (const precision of ['float32', 'mixed_float16'] as const) {
    it.skipIf(precision === 'mixed_float16' && skipUnlessPresent(f16Reason, 'shader-f16'))(`fusedDense relu gradients (${precision}) match cpu`, async () => {
      const [N, K, M] = [9, 20, 13];
      const xData = randomArray(N * K, 6);
      const wData = randomArray(K * M, 7);
      const bData = randomArray(M, 8, 0.5);
      const dyData = randomArray(N * M, 9);
      const grads = (dense: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D) => () => {
        const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.mul(dense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), tf.tensor2d(dyData, [N, M]));
        const g = tf.grads((x, w, b) => tf.sum(f(x, w, b)))([tf.tensor2d(xData, [N, K]), tf.tensor2d(wData, [K, M]), tf.tensor1d(bData)]);
        const y = dense(tf.tensor2d(xData, [N, K]), tf.tensor2d(wData, [K, M]), tf.tensor1d(bData));
        return [y, ...g];
      };
      const want = await onCpu(grads((x, w, b) => tf.relu(tf.add(tf.matMul(x, w), b)) as tf.Tensor2D));
      const before = tf.memory().numTensors;
      const gotTensors = tf.tidy(grads((x, w, b) => fusedDense(x, w, b, { relu: true, precision })));
      const got = await Promise.all(gotTensors.map((t) => t.data()));
      tf.dispose(gotTensors);
      expect(tf.memory().numTensors).toBe(before);
      // f16: K = 20 terms of magnitude <= 1: 1.5e-3 relative per term (see header) bounds the error by
      // 1.5e-3·Σ|terms| <= 0.03; 1e-2 relative with a 1.0 floor is that bound with margin.
      const [tolerance, floor] = precision === 'float32' ? [1e-5, 1e-3] : [1e-2, 1.0];
      want.forEach((w, i) => expect(maxRelativeError(got[i], w, floor)).toBeLessThan(tolerance));
      gpu.engine!.assertNoErrors();
    });
  }
});
