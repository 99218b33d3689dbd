/**
 * Small differentiable building blocks of the caption model, written with stock tfjs ops so every backend
 * (wasm, cpu, webgpu) can train them.
 *
 * `gatherRows` replaces tf.gather in the training graph: tf.gather's gradient is UnsortedSegmentSum, which
 * the wasm backend does not register. Here the gradient is a ScatterNd (which sums duplicate indices, as
 * the gradient of a gather must), registered on wasm, cpu and webgpu.
 */
import * as tf from '@tensorflow/tfjs';
import { valuesInPlace } from './cpu/values.ts';

/**
 * Rows of a table by index, with a gradient that every backend has.
 * @param table [rows, width]
 * @param indices [n] int32
 * @returns [n, width]
 */
export function gatherRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const rows = table.shape[0];
  // The indices go in as an input and are saved: a tensor captured from the closure would be disposed with
  // the forward scope before the backward pass runs.
  const gather = tf.customGrad(((t: tf.Tensor, idx: tf.Tensor, save: tf.GradSaveFunc) => {
    save([idx]);
    return {
      value: tf.getBackend() === 'webgpu' ? tf.gather(t, idx) : copyRows(t as tf.Tensor2D, idx as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.scatterND(saved[0].expandDims(1), dy, [rows, t.shape[1] as number]),
        tf.zerosLike(saved[0]),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return gather(table, indices) as tf.Tensor2D;
}

/**
 * tf.gather of whole rows on the CPU backends (wasm, cpu), whose tensors live in CPU memory: a row copy each.
 * The wasm backend's Gather computes every element's source index on its own: in a profile of the demo's
 * training on wasm it took 2.3 of 16.3 s, more than the gates of the LSTM.
 */
function copyRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const [rows, width] = table.shape;
  const at = indices.dataSync();
  // Read in place (./cpu/values.ts): every row is copied out before the output tensor is allocated.
  const from = valuesInPlace(table);
  const out = new Float32Array(at.length * width);
  for (let i = 0; i < at.length; i++) {
    const row = at[i];
    if (!(row >= 0 && row < rows)) throw new RangeError(`gatherRows: index ${row} at ${i} is outside the table's ${rows} rows`);
    out.set(from.subarray(row * width, (row + 1) * width), i * width);
  }
  return tf.tensor2d(out, [at.length, width], table.dtype);
}

/**
 * a·b with a gradient that never asks for a transposed matmul. On the wasm backend a matmul with transposeA
 * or transposeB (what tf.matMul's gradient uses) runs 10–15× slower than a plain one (measured: [480,256]ᵀ ×
 * [480,8464] 1.6 s against 0.1 s for the forward product), so the gradient transposes explicitly (a copy)
 * and multiplies plainly. Other backends keep tf.matMul.
 * @param a [n, k] @param b [k, m] @returns [n, m]
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() === 'webgpu') return tf.matMul(a, b);
  const product = tf.customGrad(((x: tf.Tensor2D, y: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xs, ys] = saved as tf.Tensor2D[];
        return [tf.matMul(dy, tf.transpose(ys)), tf.matMul(tf.transpose(xs), dy)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return product(a, b) as tf.Tensor2D;
}

export interface LstmParams {
  /** [inputWidth, 4·units], gates in Keras order i, f, c, o */
  kernel: tf.Tensor2D;
  /** [units, 4·units] */
  recurrentKernel: tf.Tensor2D;
  /** [4·units] */
  bias: tf.Tensor1D;
}

/**
 * A Keras LSTM (sigmoid recurrent activation, tanh activation) unrolled over time with masking: at a
 * masked step the state is carried through unchanged (Keras mask_zero semantics).
 * @param stepInputs one [n, width] input per step
 * @param mask per step, a [n, 1] 0/1 column; null at a step where every row is real (saves the select)
 * @returns the hidden state after every step (returnSequences) or only the last, each [n, units]
 */
export function lstmSteps(
  stepInputs: tf.Tensor2D[],
  mask: (tf.Tensor2D | null)[],
  params: LstmParams,
  returnSequences: boolean,
): tf.Tensor2D[] {
  const n = stepInputs[0].shape[0];
  const units = params.recurrentKernel.shape[0];
  let h: tf.Tensor2D = tf.zeros([n, units]);
  let c: tf.Tensor2D = tf.zeros([n, units]);
  const outputs: tf.Tensor2D[] = [];
  stepInputs.forEach((x, t) => {
    // Per-step input projection: slicing one big projection per step (unstack/slice) is ~50 ns a float on
    // wasm, far slower than the matmuls themselves.
    const z = matMul(x, params.kernel).add(params.bias).add(matMul(h, params.recurrentKernel)) as tf.Tensor2D;
    const [zi, zf, zc, zo] = tf.split(z, 4, 1);
    const cNew = tf.sigmoid(zf).mul(c).add(tf.sigmoid(zi).mul(tf.tanh(zc))) as tf.Tensor2D;
    const hNew = tf.sigmoid(zo).mul(tf.tanh(cNew)) as tf.Tensor2D;
    const m = mask[t];
    if (m) {
      // m is [n, 1]: new state where real, old state where padding.
      c = c.add(m.mul(cNew.sub(c))) as tf.Tensor2D;
      h = h.add(m.mul(hNew.sub(h))) as tf.Tensor2D;
    } else {
      c = cNew;
      h = hNew;
    }
    if (returnSequences) outputs.push(h);
  });
  return returnSequences ? outputs : [h];
}

/** lstmSteps over a [n, steps, width] tensor (tests, references). */
export function lstmUnrolled(inputs: tf.Tensor3D, mask: (tf.Tensor2D | null)[], params: LstmParams, returnSequences: boolean): tf.Tensor2D[] {
  return lstmSteps(tf.unstack(inputs, 1) as tf.Tensor2D[], mask, params, returnSequences);
}

/**
 * A whole-sequence LSTM from another implementation (the fused WebGPU kernel, src/gpu/kernels/fusedLstm.ts):
 * same semantics as lstmUnrolled (at a masked step h and c carry over and the output repeats h).
 * @param x [n, steps, width] @param mask [n, steps] float 0/1 @returns hSeq [n, steps, units]
 */
export type SequenceLstm = (x: tf.Tensor3D, mask: tf.Tensor2D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor3D;

/**
 * The LSTM over token inputs: through `sequenceLstm` when given (one call for the whole batch), else unrolled
 * step by step with stock ops.
 * @param tokens [n·steps] ids, row-major (0 = masked)
 * @param embed ids [m] int32 → their (dropped-out) embeddings [m, width]
 * @returns returnSequences: the states of every step, TIME-major [steps·n, units] (row t·n + r);
 *   otherwise the final state [n, units]
 */
export function lstmLayer(
  tokens: Int32Array,
  n: number,
  steps: number,
  embed: (ids: tf.Tensor1D) => tf.Tensor2D,
  params: LstmParams,
  returnSequences: boolean,
  sequenceLstm: SequenceLstm | null = null,
): tf.Tensor2D {
  const units = params.recurrentKernel.shape[0];
  if (sequenceLstm) {
    const x = embed(tf.tensor1d(tokens, 'int32')).reshape([n, steps, -1]) as tf.Tensor3D;
    const mask = tf.tensor2d(Float32Array.from(tokens, (t) => (t === 0 ? 0 : 1)), [n, steps]);
    const hSeq = sequenceLstm(x, mask, params.kernel, params.recurrentKernel, params.bias);
    if (!returnSequences) return hSeq.slice([0, steps - 1, 0], [n, 1, -1]).reshape([n, units]);
    return tf.transpose(hSeq, [1, 0, 2]).reshape([steps * n, units]);
  }
  const stepInputs: tf.Tensor2D[] = [];
  const masks: (tf.Tensor2D | null)[] = [];
  for (let t = 0; t < steps; t++) {
    const ids = new Int32Array(n);
    const column = new Float32Array(n);
    let all = true;
    for (let r = 0; r < n; r++) {
      ids[r] = tokens[r * steps + t];
      column[r] = ids[r] === 0 ? 0 : 1;
      if (column[r] === 0) all = false;
    }
    stepInputs.push(embed(tf.tensor1d(ids, 'int32')));
    masks.push(all ? null : tf.tensor2d(column, [n, 1]));
  }
  const outputs = lstmSteps(stepInputs, masks, params, returnSequences);
  return returnSequences ? tf.concat(outputs, 0) : outputs[0];
}

/**
 * One LSTM step for decoding (no mask: every decoding row is real).
 * @param x [n, width] @param h [n, units] @param c [n, units]
 */
export function lstmStep(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, params: LstmParams): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const z = tf.matMul(x, params.kernel).add(params.bias).add(tf.matMul(h, params.recurrentKernel)) as tf.Tensor2D;
  const [zi, zf, zc, zo] = tf.split(z, 4, 1);
  const cNew = tf.sigmoid(zf).mul(c).add(tf.sigmoid(zi).mul(tf.tanh(zc))) as tf.Tensor2D;
  const hNew = tf.sigmoid(zo).mul(tf.tanh(cNew)) as tf.Tensor2D;
  return { h: hNew, c: cNew };
}

/** Inverted dropout as Keras applies it in training; identity when rate is 0 or not training. */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number | undefined): T {
  if (rate <= 0) return x;
  return tf.dropout(x, rate, undefined, seed) as T;
}

/**
 * Sum over rows of the cross-entropy of softmax(logits) against integer targets, with the fused gradient
 * softmax − onehot (one pass over the [n, vocab] logits instead of logSoftmax's chain of ops).
 * @param logits [n, vocab] @param targets [n] int32 @returns scalar
 */
export function crossEntropySum(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const vocab = logits.shape[1];
  const oneHot = tf.oneHot(targets, vocab).toFloat();
  const ce = tf.customGrad(((z: tf.Tensor2D, hot: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const lse = tf.logSumExp(z, 1, true); // [n, 1]
    save([z, hot, lse]);
    return {
      value: tf.sum(lse).sub(tf.sum(tf.mul(z, hot))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zs, hs, ls] = saved;
        return [tf.mul(tf.exp(tf.sub(zs, ls)).sub(hs), dy), tf.zerosLike(hs)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return ce(logits, oneHot) as tf.Scalar;
}
