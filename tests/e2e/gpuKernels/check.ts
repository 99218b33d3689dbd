/**
 * Runs in a page and in a module worker: a tiny LSTM → Dense model trained 3 SGD steps with stock tfjs ops
 * on the cpu backend and with the fused f32 WGSL kernels on WebGPU (SwiftShader in headless Chromium), then
 * the same for a tiny caption model through the real model code (captionRun.ts).
 * Returns the loss curves, the adapter and every uncaptured WebGPU error (validation errors are failures).
 */
import * as tf from '@tensorflow/tfjs';
import { createGpuEngine, describeAdapter } from '../../../src/gpu/device';
import { fusedLstm, lstmReference } from '../../../src/gpu/kernels/fusedLstm';
import { fusedDense } from '../../../src/gpu/kernels/matmul';
import type { KernelChoice } from '../../../src/model/kernelChoice';
import { useModelKernels } from '../../../src/model/kernels';
import { captionRun } from './captionRun';

export interface CheckResult {
  where: string;
  adapter: string;
  shaderF16: boolean;
  stockLosses: number[];
  fusedLosses: number[];
  /** The caption model: stock ops on cpu, and what chooseModelKernels gave on WebGPU when asked for mixed_float16. */
  captionStockLosses: number[];
  captionFusedLosses: number[];
  captionChoice?: KernelChoice;
  gpuErrors: string[];
  error?: string;
}

const [B, T, E, H, M] = [3, 5, 4, 6, 3];

function values(n: number, seed: number, scale: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(seed * 97.3 + i * 12.9898) * scale);
}

async function train(fused: boolean): Promise<number[]> {
  const vars = [
    tf.variable(tf.tensor2d(values(E * 4 * H, 1, 0.5), [E, 4 * H])),
    tf.variable(tf.tensor2d(values(H * 4 * H, 2, 0.5), [H, 4 * H])),
    tf.variable(tf.tensor1d(values(4 * H, 3, 0.1))),
    tf.variable(tf.tensor2d(values(H * M, 4, 0.5), [H, M])),
    tf.variable(tf.tensor1d(values(M, 5, 0.1))),
  ];
  const x = tf.tensor3d(values(B * T * E, 6, 1), [B, T, E]);
  const mask = tf.tensor2d([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1], [B, T]);
  const target = tf.tensor2d(values(B * T * M, 7, 1), [B * T, M]);
  const optimizer = tf.train.sgd(0.1);
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    const loss = optimizer.minimize(() => {
      const [k, r, b, w, wb] = vars as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
      const h = fused ? fusedLstm(x, mask, k, r, b) : lstmReference(x, mask, k, r, b);
      const flat = tf.reshape(h, [B * T, H]) as tf.Tensor2D;
      const y = fused ? fusedDense(flat, w, wb, { relu: true }) : tf.relu(tf.add(tf.matMul(flat, w), wb));
      return tf.mean(tf.square(tf.sub(y, target))) as tf.Scalar;
    }, true);
    losses.push((await loss!.data())[0]);
    loss!.dispose();
  }
  optimizer.dispose();
  tf.dispose([...vars, x, mask, target]);
  return losses;
}

export async function runCheck(where: string): Promise<CheckResult> {
  const result: CheckResult = { where, adapter: '', shaderF16: false, stockLosses: [], fusedLosses: [], captionStockLosses: [], captionFusedLosses: [], gpuErrors: [] };
  try {
    await tf.setBackend('cpu');
    result.stockLosses = await train(false);
    result.captionStockLosses = (await captionRun({ fusedKernels: false, precision: 'float32' })).losses;
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    if (!gpu) throw new Error('navigator.gpu is missing here');
    const engine = await createGpuEngine(gpu);
    if (!engine) throw new Error('WebGPU offered no adapter');
    result.adapter = describeAdapter(engine.report);
    result.shaderF16 = engine.shaderF16;
    await engine.useAsTfjsBackend();
    result.fusedLosses = await train(true);
    // As the studio asks on a page without shader-f16: mixed_float16 must fall back to the f32 fused kernels.
    const caption = await captionRun({ fusedKernels: true, precision: 'mixed_float16' });
    result.captionFusedLosses = caption.losses;
    result.captionChoice = caption.choice;
    useModelKernels(null);
    // Let late validation errors arrive before reporting.
    await engine.device.queue.onSubmittedWorkDone();
    result.gpuErrors = engine.errors.map((e) => `${e.type}: ${e.message}`);
  } catch (error) {
    result.error = (error as Error).stack ?? String(error);
  }
  return result;
}
