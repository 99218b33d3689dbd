/**
 * Softmax cross-entropy over a large vocabulary without a one-hot matrix or a stored softmax: the forward
 * kernel writes one loss and one log-sum-exp per row; the backward kernel recomputes softmax from the logits
 * and that log-sum-exp and writes dlogits in the same pass. One workgroup of 64 invocations per row.
 * Loss = Σ_rows weight·(lse − logit[label]) / Σ weight: a weighted (masked) mean over real tokens.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatch, float32Data, newTensor, pipelineFor, webgpuBackend } from './dispatch.ts';
import { fusedDense, type KernelPrecision } from './matmul.ts';
import { wgslHeader } from './wgsl.ts';

const maxGroups = 65535;

const dimsFields: [string, string, string, string] = ['N', 'V', 'pad0', 'pad1'];
const shared = `var<workgroup> part: array<f32, 64>;
fn rowOf(wid: vec3<u32>) -> u32 { return wid.y * ${maxGroups}u + wid.x; }
`;

const forwardCode = `${wgslHeader(false, dimsFields, [
  { name: 'logits', element: 'f32', access: 'read', shape: '[N,V]' },
  { name: 'labels', element: 'f32', access: 'read', shape: '[N] class ids as f32 (exact below 2^24)' },
  { name: 'weights', element: 'f32', access: 'read', shape: '[N]' },
  { name: 'rowLoss', element: 'f32', access: 'read_write', shape: '[N] weight·(lse - logit[label])' },
  { name: 'rowLse', element: 'f32', access: 'read_write', shape: '[N]' },
])}
${shared}
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = rowOf(wid);
  let valid = row < dims.N;
  let base = row * dims.V;
  var m = -3.4e38;
  if (valid) { for (var v = lid.x; v < dims.V; v += 64u) { m = max(m, logits[base + v]); } }
  part[lid.x] = m;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] = max(part[lid.x], part[lid.x + s]); }
    workgroupBarrier();
  }
  let rowMax = part[0];
  workgroupBarrier();
  var sum = 0.0;
  if (valid) { for (var v = lid.x; v < dims.V; v += 64u) { sum += exp(logits[base + v] - rowMax); } }
  part[lid.x] = sum;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
    workgroupBarrier();
  }
  if (valid && lid.x == 0u) {
    let lse = rowMax + log(part[0]);
    let label = u32(labels[row]);
    rowLse[row] = lse;
    rowLoss[row] = weights[row] * (lse - logits[base + label]);
  }
}
`;

const backwardCode = `${wgslHeader(false, dimsFields, [
  { name: 'logits', element: 'f32', access: 'read', shape: '[N,V]' },
  { name: 'labels', element: 'f32', access: 'read', shape: '[N]' },
  { name: 'weights', element: 'f32', access: 'read', shape: '[N]' },
  { name: 'rowLse', element: 'f32', access: 'read', shape: '[N]' },
  { name: 'scale', element: 'f32', access: 'read', shape: '[1] dLoss / Σ weight' },
  { name: 'dlogits', element: 'f32', access: 'read_write', shape: '[N,V]' },
])}
${shared}
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = rowOf(wid);
  if (row >= dims.N) { return; }
  let base = row * dims.V;
  let label = u32(labels[row]);
  let lse = rowLse[row];
  let k = weights[row] * scale[0];
  for (var v = lid.x; v < dims.V; v += 64u) {
    let p = exp(logits[base + v] - lse);
    dlogits[base + v] = k * (p - select(0.0, 1.0, v == label));
  }
}
`;

function groups(n: number): [number, number, number] {
  return [Math.min(n, maxGroups), Math.ceil(n / maxGroups), 1];
}

/**
 * Weighted mean softmax cross-entropy, differentiable in the logits.
 * @param logits [N,V] @param labels [N] class ids (float32 or int32) @param weights [N] (0 for padding)
 * @returns scalar Σ w·CE / Σ w
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const [N, V] = logits.shape;
  if (labels.shape[0] !== N || weights.shape[0] !== N) {
    throw new Error(`fusedSoftmaxCrossEntropy: labels ${labels.shape} and weights ${weights.shape} must have ${N} rows`);
  }
  const labelsF32 = float32Data(labels);
  const op = tf.customGrad<tf.Scalar>((lIn, yIn, wIn, save) => {
    const backend = webgpuBackend();
    const [l, y, w] = [lIn, yIn, wIn] as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    const rowLoss = newTensor<tf.Rank.R1>(backend, [N]);
    const rowLse = newTensor<tf.Rank.R1>(backend, [N]);
    const pipeline = pipelineFor(backend.device, 'softmaxCeForward', () => forwardCode);
    dispatch(backend, pipeline, [l, y, w, rowLoss, rowLse], [N, V, 0, 0], groups(N));
    const total = tf.sum(w);
    const loss = tf.div(tf.sum(rowLoss), total) as tf.Scalar;
    (save as tf.GradSaveFunc)([l, y, w, rowLse, total]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [lS, yS, wS, lseS, totalS] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Scalar];
        const scale = tf.reshape(tf.div(dy, totalS), [1]);
        const dlogits = newTensor<tf.Rank.R2>(backend, [N, V]);
        const backward = pipelineFor(backend.device, 'softmaxCeBackward', () => backwardCode);
        dispatch(backend, backward, [lS, yS, wS, lseS, scale, dlogits], [N, V, 0, 0], groups(N));
        return [dlogits, tf.zerosLike(yS), tf.zerosLike(wS)];
      },
    };
  });
  return op(logits, labelsF32, weights);
}

/**
 * The output layer and its loss in one op: logits = h @ w + b (WGSL matmul, f32 or f16 compute) then the
 * fused softmax cross-entropy. Gradients flow to h, w and b.
 * @param h [N,K] @param w [K,V] @param b [V] @param labels [N] @param weights [N] @returns scalar loss
 */
export function fusedOutputLoss(
  h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, labels: tf.Tensor1D, weights: tf.Tensor1D,
  options: { precision?: KernelPrecision } = {},
): tf.Scalar {
  return fusedSoftmaxCrossEntropy(fusedDense(h, w, b, { precision: options.precision }), labels, weights);
}
