/**
 * The caption model's training kernels on WebGPU: the studio's own WGSL kernels (src/gpu/kernels) for the
 * heavy math — dense + bias + relu in one dispatch, the whole-sequence fused LSTM, and the output projection
 * with softmax cross-entropy — in f32, or in f16 compute under mixed_float16 (weights and gradients stay f32).
 * Loaded with a dynamic import so the wasm/cpu paths never pull the WebGPU backend in.
 */
import * as tf from '@tensorflow/tfjs';
import { hasShaderF16, webgpuBackend } from '../gpu/kernels/dispatch.ts';
import { fusedLstm } from '../gpu/kernels/fusedLstm.ts';
import { fusedDense, type KernelPrecision } from '../gpu/kernels/matmul.ts';
import { fusedOutputLoss } from '../gpu/kernels/softmaxCrossEntropy.ts';
import type { ModelKernels } from './kernels.ts';

export function webgpuModelKernels(precision: KernelPrecision): ModelKernels {
  return {
    label: precision === 'mixed_float16' ? 'fused WGSL f16' : 'fused WGSL f32',
    dense: (x, w, b, relu) => fusedDense(x, w, b, { relu, precision }),
    sequenceLstm: (x, mask, kernel, recurrent, bias) => fusedLstm(x, mask, kernel, recurrent, bias, { precision }),
    outputLossSum(h, w, b, targets) {
      const rows = h.shape[0];
      // The kernel gives the weighted mean Σw·CE/Σw; with unit weights, × rows is the sum the model trains on.
      return tf.mul(fusedOutputLoss(h, w, b, targets, tf.ones([rows]), { precision }), rows) as tf.Scalar;
    },
  };
}

/** True when the current tfjs backend is WebGPU on a device with shader-f16. */
export function webgpuHasShaderF16(): boolean {
  return tf.getBackend() === 'webgpu' && hasShaderF16(webgpuBackend());
}
