/**
 * Backend set-up inside a replica worker: each replica gets its own tfjs backend instance and, for WebGPU,
 * its own adapter and GPUDevice (created in this thread). Node workers reuse useNodeBackend (wasm, cpu or
 * Dawn); browser workers use selectBackend with navigator.gpu and the bundled wasm binaries.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from './trainer';

export interface ReplicaBackend {
  backend: BackendName;
  adapter?: string;
  fallbackReason?: string;
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

export async function initReplicaBackend(requested: BackendName): Promise<ReplicaBackend> {
  if (isNode()) {
    const { useNodeBackend } = await import('./backend');
    return useNodeBackend(requested);
  }
  const [{ selectBackend }, { prepareBrowserWasm }] = await Promise.all([import('../gpu/backendSelect'), import('./browserWasm')]);
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu ?? null;
  const choice = await selectBackend({ gpu, start: requested, prepareWasm: prepareBrowserWasm });
  return {
    backend: choice.backend,
    ...(choice.adapter ? { adapter: choice.adapter } : {}),
    ...(choice.fallbackReason ? { fallbackReason: choice.fallbackReason } : {}),
  };
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
