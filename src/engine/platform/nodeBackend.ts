/**
 * Backend set-up for Node (CLI, tests, benches): `wasm` (default), `cpu`, or `webgpu` through Dawn
 * (src/gpu/nodeGpu.ts). The chosen backend and any fallback reason come back for a `backendChosen` event.
 */
import * as tf from '@tensorflow/tfjs';
import type { GpuEngine } from '../../gpu/device.ts';
import type { BackendName } from '../training/trainer.ts';

export interface BackendReady {
  backend: BackendName;
  adapter?: string;
  fallbackReason?: string;
  /**
   * webgpu only: the Dawn device's engine, so callers can watch device loss and uncaptured errors (a replica
   * worker reports them as its fault) and release the device. Not plain data: never post it to a worker.
   */
  engine?: GpuEngine;
}

export async function useNodeBackend(requested: BackendName = 'wasm'): Promise<BackendReady> {
  if (requested === 'webgpu') {
    const [{ nodeGpu }, { selectBackend }] = await Promise.all([import('../../gpu/nodeGpu.ts'), import('../../gpu/backendSelect.ts')]);
    let gpu: GPU | null = null;
    try {
      gpu = await nodeGpu();
    } catch {
      gpu = null;
    }
    const choice = await selectBackend({ gpu, start: 'webgpu' });
    return {
      backend: choice.backend,
      ...(choice.adapter ? { adapter: choice.adapter } : {}),
      ...(choice.fallbackReason ? { fallbackReason: choice.fallbackReason } : {}),
      ...(choice.engine ? { engine: choice.engine } : {}),
    };
  }
  if (requested === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(requested))) throw new Error(`the ${requested} backend could not start`);
  await tf.ready();
  return { backend: requested };
}
