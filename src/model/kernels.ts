/**
 * The kernel set the caption model's TRAINING pass runs on: stock tfjs ops (any backend, f32), or the
 * studio's own WGSL kernels on WebGPU (src/gpu/kernels, f32 or mixed_float16). Decoding always uses stock ops.
 * The choice is per thread (a page, a worker, a Node process each train one model at a time), set by the
 * trainer or replica before its first step.
 */
import * as tf from '@tensorflow/tfjs';
import { cpuOutputLossSum, cpuSequenceLstm } from './cpu/trainingOps.ts';
import { crossEntropySum, matMul, type SequenceLstm } from './ops.ts';

export interface ModelKernels {
  /** What the UI and the CLI print: 'stock tfjs ops', 'fused WGSL f32', 'fused WGSL f16'. */
  readonly label: string;
  /** act(x @ w + b). @param x [n, k] @param w [k, m] @param b [m] @returns [n, m] */
  dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, relu: boolean): tf.Tensor2D;
  /** A whole-sequence LSTM, or null for the per-step stock unroll (src/model/ops.ts lstmSteps). */
  readonly sequenceLstm: SequenceLstm | null;
  /**
   * Σ over rows of the cross-entropy of softmax(h @ w + b) against the targets (the output layer and its loss).
   * @param h [n, k] @param w [k, vocab] @param b [vocab] @param targets [n] int32 @returns scalar
   */
  outputLossSum(h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar;
}

/**
 * tfjs ops on any backend. On the CPU backends (wasm, cpu) the LSTM and the output layer with its loss run as
 * single ops with hand-written gradients (src/model/cpu/trainingOps.ts: fewer, larger kernels, no one-hot);
 * elsewhere (webgpu with the fused kernels off) they stay the per-step unroll and tfjs' own softmax chain.
 */
export const stockKernels: ModelKernels = {
  label: 'stock tfjs ops',
  dense(x, w, b, relu) {
    const y = matMul(x, w).add(b) as tf.Tensor2D;
    return relu ? tf.relu(y) : y;
  },
  get sequenceLstm() {
    return onCpuBackend() ? cpuSequenceLstm : null;
  },
  outputLossSum(h, w, b, targets) {
    if (onCpuBackend()) return cpuOutputLossSum(h, w, b, targets);
    return crossEntropySum(matMul(h, w).add(b) as tf.Tensor2D, targets);
  },
};

function onCpuBackend(): boolean {
  const backend = tf.getBackend();
  return backend === 'wasm' || backend === 'cpu';
}

let active: ModelKernels = stockKernels;

/** Routes this thread's training passes through `kernels` (null: back to stock ops). */
export function useModelKernels(kernels: ModelKernels | null): void {
  active = kernels ?? stockKernels;
}

export function modelKernels(): ModelKernels {
  return active;
}
