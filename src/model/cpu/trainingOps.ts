/**
 * The caption model's two heavy training layers for the CPU backends (wasm, cpu), as single differentiable
 * ops with hand-written gradients, in place of the per-step stock unroll (issue 17's profile: on wasm the
 * stock LSTM spent a tenth of a step in SplitV alone, ~60 kernels a time step, and the output layer six
 * passes over the [tokens, vocab] logits plus a one-hot matrix of the same size).
 *
 * - cpuSequenceLstm: one matmul projects every real step's input; the T recurrent products h·U forward and
 *   dz·Uᵀ backward stay tfjs matmuls, on the rows still real at that step; the gate arithmetic of a time step
 *   runs as one loop over plain arrays (wasm and cpu keep tensors in CPU memory, so reading a step's product
 *   is a copy); the weight gradients are three large matmuls over all real positions (xᵀ·dZ, h_{t-1}ᵀ·dZ,
 *   dZ·Kᵀ) instead of four small ones per step. Padded positions cost nothing.
 * - cpuOutputLossSum: softmax cross-entropy of h·w + b without a one-hot matrix: the loss picks each row's
 *   target logit, the gradient of the dense softmax part comes from one saved exp(z − max) (the row sums
 *   folded into the small operands), the sparse −onehot part from gathering / scattering target rows.
 *
 * Same semantics as the stock ops (Keras LSTM with mask_zero: at a masked step h and c carry over and the
 * output repeats h); values agree to float32 rounding (tests/unit/model/cpu/trainingOps.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { valuesInPlace } from './values.ts';

/**
 * The LSTM's working arrays, kept from one call to the next (each grows to the largest size asked, never
 * shrinks). A step of the demo's training used about 5 MB of fresh typed arrays (its inputs, gates, products
 * read back from the backend); fresh arrays are fresh memory pages, and Chromium's renderer hands freed pages
 * back to the system at once, so every one of them faulted in again: 2 epochs of the demo in a replica worker
 * took 370,000 minor page faults and 3.4 s of system time (Node, whose allocator keeps freed memory, 32,000
 * and 0.25 s).
 * Arrays the forward pass keeps for the backward pass are only valid until the next forward pass; the
 * backward pass checks that no other one ran in between (one LSTM call at a time per thread, forward then
 * backward, is how the training step uses it).
 */
const scratch = new Map<string, Float32Array | Float64Array>();
let forwardPasses = 0;

function scratchArray<T extends Float32Array | Float64Array>(role: string, length: number, make: (n: number) => T, zero: boolean): T {
  let buffer = scratch.get(role) as T | undefined;
  if (!buffer || buffer.length < length) {
    buffer = make(Math.ceil(length * 1.25));
    scratch.set(role, buffer);
  }
  const view = buffer.subarray(0, length) as T;
  if (zero) view.fill(0);
  return view;
}
const f32 = (role: string, length: number, zero = false) => scratchArray(role, length, (n) => new Float32Array(n), zero);
const f64 = (role: string, length: number, zero = false) => scratchArray(role, length, (n) => new Float64Array(n), zero);

/** A float32 tensor's values copied into the working array `role` (read in place: ./values.ts). */
function readInto(role: string, tensor: tf.Tensor): Float32Array {
  const out = f32(role, tensor.size);
  out.set(valuesInPlace(tensor));
  return out;
}

/** readInto of a tensor made by `f`, which is disposed after. */
function readFrom(role: string, f: () => tf.Tensor): Float32Array {
  const tensor = tf.tidy(f);
  try {
    return readInto(role, tensor);
  } finally {
    tensor.dispose();
  }
}

/**
 * A tensor of a working array's values. wasm copies them into its memory as the tensor is made; the cpu backend
 * would keep the array itself, which the next call overwrites, so it gets a copy.
 */
function tensorOf(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), shape, 'float32');
}

/** tf.customGrad with any number of inputs (its typing only knows a fixed arity). */
const customGrad = (f: (...args: never[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] }) =>
  tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;

/** a·b with both operands laid out plainly (wasm runs a matmul with a transposed operand 10–15× slower). */
const plainMatMul = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.matMul(a, b);

/**
 * A Keras LSTM (sigmoid recurrent activation, tanh activation; gates i, f, c, o) over a whole batch of
 * sequences with masking. @see SequenceLstm in ./ops.ts
 *
 * Only real (unmasked) positions are computed: a padded position carries h and c over and gets no gradient,
 * so the input projection, the weight gradients and each step's recurrent product run on the real rows
 * alone (on Flickr8K batches padded to their longest caption, under half of the positions are real).
 * @param x [n, steps, width] @param mask [n, steps] 0/1 @returns hSeq [n, steps, units]
 */
export function cpuSequenceLstm(x: tf.Tensor3D, mask: tf.Tensor2D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor3D {
  const [n, steps, width] = x.shape;
  const units = recurrentKernel.shape[0];
  const g4 = 4 * units;
  const real = mask.dataSync();
  // The real positions r·steps + t in step order: step t's are compact rows stepStart[t] .. stepStart[t+1]-1.
  const activeRows: Int32Array[] = [];
  const stepStart = new Int32Array(steps + 1);
  const positions: number[] = [];
  for (let t = 0; t < steps; t++) {
    stepStart[t] = positions.length;
    const rows: number[] = [];
    for (let r = 0; r < n; r++) {
      if (real[r * steps + t] === 0) continue;
      rows.push(r);
      positions.push(r * steps + t);
    }
    activeRows.push(Int32Array.from(rows));
  }
  stepStart[steps] = positions.length;
  const count = positions.length;
  // Kept for the backward pass, per real position (plain arrays: tensors made in the forward function do not
  // outlive it): the activated gates i, f, g = tanh(zc), o; c_{t-1}; tanh(c_t); h_{t-1}; the input x_t.
  const gates = f32('gates', count * g4);
  const cPrev = f32('cPrev', count * units);
  const tanhC = f32('tanhC', count * units);
  const hPrev = f32('hPrev', count * units);
  const xReal = f32('xReal', count * width);
  const pass = ++forwardPasses;

  const op = customGrad((xs: tf.Tensor3D, _m: tf.Tensor2D, k: tf.Tensor2D, u: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([k, u]);
    const xData = readInto('x', xs);
    positions.forEach((position, q) => xReal.set(xData.subarray(position * width, (position + 1) * width), q * width));
    // Every real position's input projection in one product.
    const projection = count ? readFrom('projection', () => plainMatMul(tensorOf(xReal, [count, width]) as tf.Tensor2D, k).add(b)) : f32('projection', 0);
    const h = f32('h', n * units, true);
    const c = f32('c', n * units, true);
    const out = f32('out', n * steps * units);
    for (let t = 0; t < steps; t++) {
      const rows = activeRows[t];
      const m = rows.length;
      let recurrent: Float32Array | null = null;
      if (t > 0 && m > 0) {
        const hRows = f32('hRows', m * units);
        rows.forEach((r, a) => hRows.set(h.subarray(r * units, (r + 1) * units), a * units));
        recurrent = readFrom('recurrent', () => plainMatMul(tensorOf(hRows, [m, units]) as tf.Tensor2D, u));
      }
      for (let a = 0; a < m; a++) {
        const r = rows[a];
        const q = stepStart[t] + a;
        const hr = r * units;
        hPrev.set(h.subarray(hr, hr + units), q * units);
        const z = q * g4;
        const zr = a * g4;
        for (let j = 0; j < units; j++) {
          // Plain expressions, no helper calls: this loop runs once per real position and unit.
          let zi = projection[z + j];
          let zf = projection[z + units + j];
          let zc = projection[z + 2 * units + j];
          let zo = projection[z + 3 * units + j];
          if (recurrent) {
            zi += recurrent[zr + j];
            zf += recurrent[zr + units + j];
            zc += recurrent[zr + 2 * units + j];
            zo += recurrent[zr + 3 * units + j];
          }
          const i = 1 / (1 + Math.exp(-zi));
          const f = 1 / (1 + Math.exp(-zf));
          const g = Math.tanh(zc);
          const o = 1 / (1 + Math.exp(-zo));
          const cOld = c[hr + j];
          const cNew = Math.fround(f * cOld + i * g);
          const tc = Math.tanh(cNew);
          gates[z + j] = i;
          gates[z + units + j] = f;
          gates[z + 2 * units + j] = g;
          gates[z + 3 * units + j] = o;
          cPrev[q * units + j] = cOld;
          tanhC[q * units + j] = tc;
          c[hr + j] = cNew;
          h[hr + j] = o * tc;
        }
      }
      // The output at every row, real or carried, is h after step t.
      for (let r = 0; r < n; r++) out.set(h.subarray(r * units, (r + 1) * units), (r * steps + t) * units);
    }
    return {
      value: tensorOf(out, [n, steps, units]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [kSaved, uSaved] = saved as [tf.Tensor2D, tf.Tensor2D];
        if (pass !== forwardPasses) throw new Error('internal error: another LSTM forward pass ran between this one and its backward pass (their working arrays are shared)');
        const upstream = readInto('upstream', dy);
        const uT = tf.transpose(uSaved) as tf.Tensor2D;
        const dZ = f32('dZ', count * g4);
        const dh = f32('dh', n * units, true);
        const dc = f32('dc', n * units, true);
        const dBias = f64('dBias', g4, true);
        for (let t = steps - 1; t >= 0; t--) {
          // The output at (r, t) is h after step t, real or carried: its gradient joins dh either way, and at a
          // carried position dh and dc flow on to the step before unchanged.
          for (let r = 0; r < n; r++) {
            const from = (r * steps + t) * units;
            for (let j = 0; j < units; j++) dh[r * units + j] += upstream[from + j];
          }
          const rows = activeRows[t];
          const m = rows.length;
          for (let a = 0; a < m; a++) {
            const hr = rows[a] * units;
            const q = stepStart[t] + a;
            const z = q * g4;
            for (let j = 0; j < units; j++) {
              const i = gates[z + j];
              const f = gates[z + units + j];
              const g = gates[z + 2 * units + j];
              const o = gates[z + 3 * units + j];
              const tc = tanhC[q * units + j];
              const dhv = dh[hr + j];
              const dcv = dc[hr + j] + dhv * o * (1 - tc * tc);
              dZ[z + j] = dcv * g * i * (1 - i);
              dZ[z + units + j] = dcv * cPrev[q * units + j] * f * (1 - f);
              dZ[z + 2 * units + j] = dcv * i * (1 - g * g);
              dZ[z + 3 * units + j] = dhv * tc * o * (1 - o);
              dc[hr + j] = dcv * f;
            }
            for (let e = 0; e < g4; e++) dBias[e] += dZ[z + e];
          }
          if (t === 0 || m === 0) continue; // h_{-1} is the zero state; a step without real rows sends nothing back
          const dzStep = dZ.subarray(stepStart[t] * g4, stepStart[t + 1] * g4);
          const back = readFrom('back', () => plainMatMul(tensorOf(dzStep, [m, g4]) as tf.Tensor2D, uT));
          rows.forEach((r, a) => dh.set(back.subarray(a * units, (a + 1) * units), r * units));
        }
        uT.dispose();
        const dxFull = f32('dxFull', n * steps * width, true);
        if (count) {
          const dxReal = readFrom('dxReal', () => plainMatMul(tensorOf(dZ, [count, g4]) as tf.Tensor2D, tf.transpose(kSaved) as tf.Tensor2D));
          positions.forEach((position, q) => dxFull.set(dxReal.subarray(q * width, (q + 1) * width), position * width));
        }
        return tf.tidy(() => {
          const dz = tensorOf(dZ, [count, g4]) as tf.Tensor2D;
          const dKernel = count ? plainMatMul(tf.transpose(tensorOf(xReal, [count, width])) as tf.Tensor2D, dz) : tf.zerosLike(kSaved);
          const dRecurrent = count ? plainMatMul(tf.transpose(tensorOf(hPrev, [count, units])) as tf.Tensor2D, dz) : tf.zerosLike(uSaved);
          return [tensorOf(dxFull, [n, steps, width]), tf.zerosLike(mask), dKernel, dRecurrent, tf.tensor1d(Float32Array.from(dBias))];
        });
      },
    };
  });
  return op(x, mask, kernel, recurrentKernel, bias) as tf.Tensor3D;
}

/**
 * Σ over rows of the cross-entropy of softmax(h·w + b) against integer targets, for the CPU backends.
 * Forward: z = h·w + b, m = max z, e = exp(z − m), s = Σ e, loss = Σ (m + log s − z[target]).
 * Backward, with P = e / s: dh = (e·wᵀ)/s − w[:, target]ᵀ; [dw; db] = [h/s, 1/s]ᵀ·e − scatter of [h, 1] into
 * the target columns (all times the upstream scalar). Only e (one [n, vocab] array) is kept.
 * @param h [n, k] @param w [k, vocab] @param b [vocab] @param targets [n] int32 @returns scalar
 */
export function cpuOutputLossSum(h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar {
  const [n, k] = h.shape;
  const vocab = w.shape[1];
  const op = customGrad((hs: tf.Tensor2D, ws: tf.Tensor2D, bs: tf.Tensor1D, ts: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const z = plainMatMul(hs, ws).add(bs) as tf.Tensor2D;
    const m = tf.max(z, 1, true);
    const e = tf.exp(tf.sub(z, m));
    const s = tf.sum(e, 1, true);
    const picked = tf.gatherND(z, tf.stack([tf.range(0, n, 1, 'int32'), ts], 1));
    save([hs, ws, e, s, ts]);
    return {
      value: tf.sum(m).add(tf.sum(tf.log(s))).sub(tf.sum(picked)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [hSaved, wSaved, eSaved, sSaved, tSaved] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const scale = tf.div(dy, sSaved); // [n, 1]: upstream over each row's sum
        const wT = tf.transpose(wSaved) as tf.Tensor2D; // [vocab, k]
        const dh = plainMatMul(eSaved, wT).mul(scale).sub(tf.gather(wT, tSaved).mul(dy));
        // [h/s, 1/s]ᵀ·e gives the dense part of dw (rows 0..k-1) and of db (row k) in one pass over e.
        const dense = plainMatMul(tf.transpose(tf.concat([hSaved.mul(scale), scale], 1)) as tf.Tensor2D, eSaved);
        const sparse = tf.transpose(tf.scatterND(tSaved.expandDims(1), tf.concat([hSaved, tf.ones([n, 1])], 1).mul(dy), [vocab, k + 1]));
        const both = dense.sub(sparse);
        const dw = both.slice([0, 0], [k, vocab]);
        const db = both.slice([k, 0], [1, vocab]).reshape([vocab]);
        return [dh, dw, db, tf.zerosLike(tSaved)];
      },
    };
  });
  return op(h, w, b, targets) as tf.Scalar;
}
