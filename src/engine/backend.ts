/**
 * Backend set-up for Node (CLI, tests, benches): `wasm` (default), `cpu`, or `webgpu` through Dawn
 * (src/gpu/nodeGpu.ts). The chosen backend and any fallback reason come back for a `backendChosen` event.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from './trainer';

export interface BackendReady {
  backend: BackendName;
  adapter?: string;
  fallbackReason?: string;
}

export async function useNodeBackend(requested: BackendName = 'wasm'): Promise<BackendReady> {
  if (requested === 'webgpu') {
    const [{ nodeGpu }, { selectBackend }] = await Promise.all([import('../gpu/nodeGpu'), import('../gpu/backendSelect')]);
    let gpu: GPU | null = null;
    try {
      gpu = await nodeGpu();
    } catch {
      gpu = null;
    }
    const choice = await selectBackend({ gpu, start: 'webgpu' });
    return { backend: choice.backend, adapter: choice.adapter, fallbackReason: choice.fallbackReason };
  }
  if (requested === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(requested))) throw new Error(`the ${requested} backend could not start`);
  await tf.ready();
  return { backend: requested };
}
