/**
 * Fused LSTM layer for the tfjs webgpu backend, differentiable with tf.customGrad.
 * Forward: 1 matmul dispatch for the input projection of all T steps (x@W + b), then T fused step dispatches.
 * Backward: T fused step dispatches (recurrent matmul + cell backward), then 3 matmuls (dx, dW, and dU reading
 * h_{t-1} straight from hSeq) and a column sum (db): T + 4 dispatches, no other tf ops.
 * Stock tfjs runs roughly 20 kernels per step forward and more backward. Keras semantics: gate order i, f, c, o;
 * zero initial state; at a masked step (mask 0) h and c carry over and the output repeats the previous h.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatch, float32Data, newTensor, pipelineFor, webgpuBackend } from './dispatch.ts';
import { backwardStateLength, lstmBackwardStepCode, lstmForwardStepCode, paddedUnits, type StepShape } from './lstmShaders.ts';
import { gpuColumnSum, gpuMatmul, useF16, type KernelPrecision, type MatmulLayout } from './matmul.ts';
import { isCpuEmulated } from './wgsl.ts';

export interface FusedLstmOptions {
  /** mixed_float16: matmuls in f16 compute (needs shader-f16); weights, state and gradients stay f32. */
  precision?: KernelPrecision;
  /**
   * Kernel shapes for a CPU emulation or a real GPU (matmul layout and step register blocks); default: from the
   * adapter. Lets tests run the real-GPU shapes on lavapipe.
   */
  kernelShapes?: 'cpu' | 'gpu';
}

interface Dims {
  B: number;
  T: number;
  E: number;
  H: number;
}

function checkShapes(x: tf.Tensor, mask: tf.Tensor, kernel: tf.Tensor, rk: tf.Tensor, bias: tf.Tensor): Dims {
  const [B, T, E] = x.shape;
  const H = rk.shape[0];
  const ok =
    x.rank === 3 && mask.rank === 2 && mask.shape[0] === B && mask.shape[1] === T &&
    kernel.rank === 2 && kernel.shape[0] === E && kernel.shape[1] === 4 * H &&
    rk.rank === 2 && rk.shape[1] === 4 * H && bias.rank === 1 && bias.shape[0] === 4 * H;
  if (!ok) {
    throw new Error(
      `fusedLstm: shapes do not fit x [B,T,E], mask [B,T], kernel [E,4H], recurrentKernel [H,4H], bias [4H]: ` +
        `got x ${x.shape}, mask ${mask.shape}, kernel ${kernel.shape}, recurrentKernel ${rk.shape}, bias ${bias.shape}`,
    );
  }
  return { B, T, E, H };
}

/**
 * Rows per invocation: on CPU emulations the register block that measured best on lavapipe (8; 16 rows spill
 * and took 2x as long backward);
 * on real GPUs fewer rows give more invocations for a small batch (not measured here: no GPU at hand).
 */
const stepShapes = {
  cpu: { forward: { rows: 8, width: 64 }, backward: { rows: 8, width: 64 } },
  gpu: { forward: { rows: 2, width: 64 }, backward: { rows: 4, width: 64 } },
} satisfies Record<string, { forward: StepShape; backward: StepShape }>;

interface Plan extends Dims {
  f16: boolean;
  precision: KernelPrecision;
  shapes: 'cpu' | 'gpu';
  layout: MatmulLayout;
}

function workgroups(units: number, B: number, shape: StepShape): [number, number, number] {
  return [Math.ceil(units / shape.width), Math.ceil(B / shape.rows), 1];
}

const variantKey = (f16: boolean, s: StepShape) => `${f16 ? 'h' : 'f'}${s.rows}x${s.width}`;

/** @returns [hSeq [B,T,H], cSeq [B,T,H], gates [B,T,4H] (activated)] */
function forward(x: tf.Tensor3D, mask: tf.Tensor2D, kernel: tf.Tensor2D, rk: tf.Tensor2D, bias: tf.Tensor1D, d: Plan) {
  const backend = webgpuBackend();
  const xw = gpuMatmul(tf.reshape(x, [d.B * d.T, d.E]), kernel, { bias, precision: d.precision, layout: d.layout });
  const hSeq = newTensor<tf.Rank.R3>(backend, [d.B, d.T, d.H]);
  const cSeq = newTensor<tf.Rank.R3>(backend, [d.B, d.T, d.H]);
  const gates = newTensor<tf.Rank.R3>(backend, [d.B, d.T, 4 * d.H]);
  // h_{t-1} in its own buffer, so the step reads it as vec4 while writing h_t to the other one.
  const state = [0, 1].map(() => newTensor<tf.Rank.R2>(backend, [d.B, paddedUnits(d.H)]));
  const shape = stepShapes[d.shapes].forward;
  const pipeline = pipelineFor(backend.device, `lstmForward:${variantKey(d.f16, shape)}`, () => lstmForwardStepCode(d.f16, shape));
  for (let t = 0; t < d.T; t++) {
    const [hIn, hOut] = [state[(t + 1) % 2], state[t % 2]];
    dispatch(backend, pipeline, [xw, rk, mask, hIn, hOut, hSeq, cSeq, gates], [d.B, d.T, d.H, t], workgroups(paddedUnits(d.H), d.B, shape));
  }
  tf.dispose([xw, ...state]);
  return { hSeq, cSeq, gates };
}

/** @returns dZ [B*T, 4H]: gradients of the gate pre-activations */
function backwardGates(
  dhSeq: tf.Tensor3D, mask: tf.Tensor2D, rk: tf.Tensor2D, cSeq: tf.Tensor3D, gates: tf.Tensor3D, d: Plan,
): tf.Tensor2D {
  const backend = webgpuBackend();
  const dZ = newTensor<tf.Rank.R2>(backend, [d.B * d.T, 4 * d.H]);
  const state = [0, 1].map(() => newTensor<tf.Rank.R1>(backend, [backwardStateLength(d.B, d.H)]));
  const shape = stepShapes[d.shapes].backward;
  const pipeline = pipelineFor(backend.device, `lstmBackward:${variantKey(d.f16, shape)}`, () => lstmBackwardStepCode(d.f16, shape));
  for (let t = d.T - 1; t >= 0; t--) {
    const [stateIn, stateOut] = [state[(t + 1) % 2], state[t % 2]];
    dispatch(backend, pipeline, [dZ, rk, mask, gates, cSeq, dhSeq, stateIn, stateOut], [d.B, d.T, d.H, t], workgroups(d.H, d.B, shape));
  }
  tf.dispose(state);
  return dZ;
}

/**
 * The LSTM layer over a whole padded batch, return_sequences=True.
 * @param x [B,T,E] @param mask [B,T] 1 for real tokens, 0 for padding
 * @param kernel [E,4H] @param recurrentKernel [H,4H] @param bias [4H]
 * @returns hSeq [B,T,H]
 */
export function fusedLstm(
  x: tf.Tensor3D,
  mask: tf.Tensor2D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  options: FusedLstmOptions = {},
): tf.Tensor3D {
  const backend = webgpuBackend();
  const f16 = useF16(backend, options.precision);
  const shapes = options.kernelShapes ?? (isCpuEmulated(backend.device) ? 'cpu' : 'gpu');
  const d: Plan = {
    ...checkShapes(x, mask, kernel, recurrentKernel, bias),
    f16,
    precision: f16 ? 'mixed_float16' : 'float32',
    shapes,
    layout: shapes === 'cpu' ? 'rows' : 'tiled',
  };
  const maskF32 = float32Data(mask);
  const op = tf.customGrad<tf.Tensor3D>((xIn, maskIn, kIn, rkIn, bIn, save) => {
    const [xs, ms, ks, rks, bs] = [xIn, maskIn, kIn, rkIn, bIn] as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const { hSeq, cSeq, gates } = forward(xs, ms, ks, rks, bs, d);
    (save as tf.GradSaveFunc)([xs, ms, ks, rks, hSeq, cSeq, gates]);
    return {
      value: hSeq,
      gradFunc: (dy, saved) => {
        const [xS, mS, kS, rkS, hS, cS, gS] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        const { precision, layout } = d;
        const dZ = backwardGates(dy, mS, rkS, cS, gS, d);
        const dx = gpuMatmul(dZ, kS, { transposeB: true, precision, layout });
        const dKernel = gpuMatmul(tf.reshape(xS, [d.B * d.T, d.E]), dZ, { transposeA: true, precision, layout });
        // Σ_t h_{t-1}ᵀ dz_t: hSeq's rows read one step late within each caption (zeros at t = 0).
        const dRecurrent = gpuMatmul(tf.reshape(hS, [d.B * d.T, d.H]), dZ, { transposeA: true, shiftRowsOfA: d.T, precision, layout });
        return [tf.reshape(dx, [d.B, d.T, d.E]), tf.zerosLike(mS), dKernel, dRecurrent, gpuColumnSum(dZ)];
      },
    };
  });
  // A non-float32 mask is cast here; the cast stays on the tape (call inside tf.tidy, or pass a float32 mask).
  return op(x, maskF32, kernel, recurrentKernel, bias);
}

/**
 * The same layer from stock tfjs ops (what tfjs-layers' LSTM computes), for any backend: the reference in
 * tests and the "stock" side of the benchmark. Shapes as fusedLstm.
 */
export function lstmReference(
  x: tf.Tensor3D,
  mask: tf.Tensor2D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const d = checkShapes(x, mask, kernel, recurrentKernel, bias);
    const xw = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [d.B * d.T, d.E]), kernel), bias), [d.B, d.T, 4 * d.H]);
    const maskF32 = tf.cast(mask, 'float32');
    let h: tf.Tensor2D = tf.zeros([d.B, d.H]);
    let c: tf.Tensor2D = tf.zeros([d.B, d.H]);
    const outputs: tf.Tensor2D[] = [];
    for (let t = 0; t < d.T; t++) {
      const z = tf.add(tf.reshape(tf.slice(xw, [0, t, 0], [d.B, 1, 4 * d.H]), [d.B, 4 * d.H]), tf.matMul(h, recurrentKernel));
      const [zi, zf, zg, zo] = tf.split(z, 4, 1);
      const cNew = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
      const hNew = tf.mul(tf.sigmoid(zo), tf.tanh(cNew));
      const m = tf.slice(maskF32, [0, t], [d.B, 1]);
      const keep = tf.sub(1, m);
      h = tf.add(tf.mul(hNew, m), tf.mul(h, keep)) as tf.Tensor2D;
      c = tf.add(tf.mul(cNew, m), tf.mul(c, keep)) as tf.Tensor2D;
      outputs.push(h);
    }
    return tf.stack(outputs, 1) as tf.Tensor3D;
  });
}
