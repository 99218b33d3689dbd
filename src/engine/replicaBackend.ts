/**
 * Backend set-up inside a replica worker: each replica gets its own tfjs backend instance (and, for WebGPU,
 * its own adapter and GPUDevice, created by the backend in this thread).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from './trainer';

export async function initReplicaBackend(name: BackendName): Promise<BackendName> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  const ok = await tf.setBackend(name);
  if (!ok) throw Object.assign(new Error(`backend ${name} is not available in this replica`), { code: 'BACKEND_UNAVAILABLE' });
  await tf.ready();
  return tf.getBackend() as BackendName;
}

/** Calls `onLost` if this thread's WebGPU device is lost by anything other than our own destroy(). */
export function watchDeviceLoss(onLost: (message: string) => void): { deliberate(): void } {
  let deliberate = false;
  const backend = tf.backend() as unknown as { device?: { lost?: Promise<{ reason: string; message: string }> } };
  backend.device?.lost?.then((info) => {
    if (!deliberate && info.reason !== 'destroyed') onLost(info.message || 'GPU device lost');
  });
  return { deliberate: () => void (deliberate = true) };
}
