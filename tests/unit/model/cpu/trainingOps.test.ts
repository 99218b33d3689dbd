/**
 * The CPU backends' whole-sequence LSTM and output loss (src/model/cpu/trainingOps.ts) against the stock ops they
 * replace: values and every gradient agree to float32 rounding, masks included (carried steps at the end of
 * a row, as the sequence layout pads, and at the start, as the prefix layout pads). gatherRows' row copies on
 * these backends against tf.gather and its gradient.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuOutputLossSum, cpuSequenceLstm } from '../../../../src/model/cpu/trainingOps';
import { crossEntropySum, gatherRows, lstmUnrolled } from '../../../../src/model/ops';

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tolerance = 1e-5) {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  const scale = Math.max(1, ...Array.from(e, Math.abs));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  expect(worst / scale).toBeLessThan(tolerance);
}

describe.each(['wasm', 'cpu'])('CPU training ops on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  const n = 6;
  const steps = 6;
  const width = 4;
  const units = 3;
  // Rows: full, post-padded (sequence layout), pre-padded (prefix layout), and one without a real step.
  const maskRows = [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0, 0],
    [1, 0, 0, 0, 0, 0],
    [0, 0, 1, 1, 1, 1],
    [0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0],
  ];

  it('the whole-sequence LSTM gives the stock unroll\'s outputs and gradients', () => {
    tf.tidy(() => {
      const x = tf.randomUniform([n, steps, width], -1, 1, 'float32', 1) as tf.Tensor3D;
      const kernel = tf.randomUniform([width, 4 * units], -0.8, 0.8, 'float32', 2) as tf.Tensor2D;
      const recurrent = tf.randomUniform([units, 4 * units], -0.8, 0.8, 'float32', 3) as tf.Tensor2D;
      const bias = tf.randomUniform([4 * units], -0.5, 0.5, 'float32', 4) as tf.Tensor1D;
      const mask = tf.tensor2d(maskRows);
      const upstream = tf.randomUniform([n, steps, units], -1, 1, 'float32', 5);
      const stock = (xs: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor) => {
        const columns = maskRows[0].map((_, t) => tf.tensor2d(maskRows.map((row) => [row[t]])));
        const hs = lstmUnrolled(xs as tf.Tensor3D, columns, { kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D, bias: b as tf.Tensor1D }, true);
        return tf.stack(hs, 1) as tf.Tensor3D;
      };
      const fast = (xs: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor) =>
        cpuSequenceLstm(xs as tf.Tensor3D, mask, k as tf.Tensor2D, r as tf.Tensor2D, b as tf.Tensor1D);
      expectClose(fast(x, kernel, recurrent, bias), stock(x, kernel, recurrent, bias));
      const loss = (f: typeof stock) => (...a: tf.Tensor[]) => tf.sum(tf.mul(f(a[0], a[1], a[2], a[3]), upstream)) as tf.Scalar;
      const expected = tf.valueAndGrads(loss(stock))([x, kernel, recurrent, bias]);
      const actual = tf.valueAndGrads(loss(fast))([x, kernel, recurrent, bias]);
      expectClose(actual.value, expected.value);
      actual.grads.forEach((g, i) => expectClose(g, expected.grads[i]));
    });
  });

  it('the whole-sequence LSTM keeps its working arrays between calls: calls of other sizes give the stock values, and a second forward pass before a backward pass is refused', () => {
    tf.tidy(() => {
      for (const [rows, length] of [[2, 3], [6, 6], [3, 2]]) {
        const x = tf.randomUniform([rows, length, width], -1, 1, 'float32', 11) as tf.Tensor3D;
        const kernel = tf.randomUniform([width, 4 * units], -0.8, 0.8, 'float32', 12) as tf.Tensor2D;
        const recurrent = tf.randomUniform([units, 4 * units], -0.8, 0.8, 'float32', 13) as tf.Tensor2D;
        const bias = tf.zeros([4 * units]) as tf.Tensor1D;
        const mask = tf.ones([rows, length]) as tf.Tensor2D;
        const columns = Array.from({ length }, () => tf.ones([rows, 1]) as tf.Tensor2D);
        const stock = tf.stack(lstmUnrolled(x, columns, { kernel, recurrentKernel: recurrent, bias }, true), 1);
        expectClose(cpuSequenceLstm(x, mask, kernel, recurrent, bias), stock);
      }
      const x = tf.randomUniform([2, 3, width], -1, 1, 'float32', 14) as tf.Tensor3D;
      const kernel = tf.randomUniform([width, 4 * units], -0.8, 0.8, 'float32', 15) as tf.Tensor2D;
      const recurrent = tf.randomUniform([units, 4 * units], -0.8, 0.8, 'float32', 16) as tf.Tensor2D;
      const bias = tf.zeros([4 * units]) as tf.Tensor1D;
      const mask = tf.ones([2, 3]) as tf.Tensor2D;
      const twice = (xs: tf.Tensor) => tf.add(tf.sum(cpuSequenceLstm(xs as tf.Tensor3D, mask, kernel, recurrent, bias)), tf.sum(cpuSequenceLstm(xs as tf.Tensor3D, mask, kernel, recurrent, bias))) as tf.Scalar;
      expect(() => tf.grad(twice)(x)).toThrow(/another LSTM forward pass ran between this one and its backward pass/);
    });
  });

  it('the output loss without a one-hot matrix gives the stock cross-entropy and gradients', () => {
    tf.tidy(() => {
      const rows = 7;
      const k = 4;
      const vocab = 11;
      const h = tf.randomUniform([rows, k], -2, 2, 'float32', 6) as tf.Tensor2D;
      const w = tf.randomUniform([k, vocab], -2, 2, 'float32', 7) as tf.Tensor2D;
      const b = tf.randomUniform([vocab], -1, 1, 'float32', 8) as tf.Tensor1D;
      // Repeated targets: their scattered gradient rows must add up.
      const targets = tf.tensor1d([3, 0, 10, 3, 3, 7, 1], 'int32');
      const stock = (hs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.mul(crossEntropySum(tf.matMul(hs as tf.Tensor2D, ws as tf.Tensor2D).add(bs), targets), 3) as tf.Scalar;
      const fast = (hs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) =>
        tf.mul(cpuOutputLossSum(hs as tf.Tensor2D, ws as tf.Tensor2D, bs as tf.Tensor1D, targets), 3) as tf.Scalar;
      const expected = tf.valueAndGrads(stock)([h, w, b]);
      const actual = tf.valueAndGrads(fast)([h, w, b]);
      expectClose(actual.value, expected.value);
      actual.grads.forEach((g, i) => expectClose(g, expected.grads[i]));
    });
  });

  it('gatherRows copies rows as tf.gather does; its gradient adds the rows of repeated indices', () => {
    tf.tidy(() => {
      const table = tf.randomUniform([5, 3], -1, 1, 'float32', 9) as tf.Tensor2D;
      const indices = tf.tensor1d([4, 0, 4, 2, 4], 'int32');
      const upstream = tf.randomUniform([5, 3], -1, 1, 'float32', 10);
      expectClose(gatherRows(table, indices), tf.gather(table, indices), 1e-7);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, indices), upstream)))(table);
      const up = upstream.arraySync() as number[][];
      const expected = [0, 1, 2, 3, 4].map((row) => [0, 1, 2].map((j) => [4, 0, 4, 2, 4].reduce((sum, at, i) => (at === row ? sum + up[i][j] : sum), 0)));
      expectClose(grad, tf.tensor2d(expected));
      expect(() => gatherRows(table, tf.tensor1d([1, 5], 'int32'))).toThrow(/index 5 at 1 is outside the table's 5 rows/);
    });
  });
});
