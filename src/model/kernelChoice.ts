/**
 * Installs this thread's training kernels for a run (src/model/kernels.ts) from what it asked for and what
 * the backend offers (resolveKernels), and says what it chose for the UI and the CLI.
 */
import * as tf from '@tensorflow/tfjs';
import { useModelKernels } from './kernels.ts';
import { resolveKernels, type Precision } from './precision.ts';

export interface KernelChoice {
  precision: Precision;
  /** 'stock tfjs ops' | 'fused WGSL f32' | 'fused WGSL f16' */
  kernels: string;
  fallbackReason?: string;
}

export async function chooseModelKernels(requested: { fusedKernels: boolean; precision: Precision }): Promise<KernelChoice> {
  const backend = tf.getBackend();
  if (backend !== 'webgpu') {
    const resolved = resolveKernels(requested, backend, false);
    useModelKernels(null);
    return { precision: resolved.precision, kernels: 'stock tfjs ops', ...(resolved.fallbackReason ? { fallbackReason: resolved.fallbackReason } : {}) };
  }
  const { webgpuModelKernels, webgpuHasShaderF16 } = await import('./kernelsWebgpu.ts');
  const resolved = resolveKernels(requested, backend, webgpuHasShaderF16());
  const kernels = resolved.fused ? webgpuModelKernels(resolved.precision) : null;
  useModelKernels(kernels);
  return {
    precision: resolved.precision,
    kernels: kernels?.label ?? 'stock tfjs ops',
    ...(resolved.fallbackReason ? { fallbackReason: resolved.fallbackReason } : {}),
  };
}
