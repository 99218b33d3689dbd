/**
 * Backend set-up inside a replica worker: each replica gets its own tfjs backend instance and, for WebGPU,
 * its own adapter and GPUDevice (created in this thread). Replicas never use WebGL: where WebGPU is absent
 * they fall back to wasm, then cpu, and say why. Node workers start their backend with useNodeBackend (wasm,
 * cpu or Dawn), handed in by their entry (workers/replica.node.ts) so that browser bundles never reach Dawn,
 * and their Dawn device is watched for loss and uncaptured errors just like a browser worker's.
 */
import * as tf from '@tensorflow/tfjs';
import type { GpuEngine } from '../../../gpu/device.ts';
import type { BackendReady } from '../../platform/nodeBackend.ts';
import type { BackendName } from '../../training/trainer.ts';

export interface ReplicaBackend {
  backend: BackendName;
  adapter?: string;
  fallbackReason?: string;
}

/** GPU trouble after start-up: device loss, or an uncaptured WebGPU error (the op's output is then wrong). */
export type GpuTroubleListener = (kind: 'deviceLost' | 'gpuError', message: string) => void;

/** How a Node worker starts its backend: src/engine/platform/nodeBackend.ts useNodeBackend. */
export type NodeBackendStarter = (requested: BackendName) => Promise<BackendReady>;

let engine: GpuEngine | null = null;

/** @param nodeBackend given in a Node worker thread; a browser worker starts its own backends. */
export async function initReplicaBackend(requested: BackendName, onTrouble: GpuTroubleListener, nodeBackend?: NodeBackendStarter): Promise<ReplicaBackend> {
  if (nodeBackend) {
    // The engine stays here (it is no message): watched like a browser worker's, destroyed on release.
    const { engine: nodeEngine, ...ready } = await nodeBackend(requested);
    if (nodeEngine) {
      engine = nodeEngine;
      watchEngine(nodeEngine, onTrouble);
    }
    return ready;
  }
  const [{ selectBackend }, { prepareBrowserWasm }] = await Promise.all([import('../../../gpu/backendSelect.ts'), import('../../platform/browserWasm.ts')]);
  let fallbackReason: string | undefined;
  if (requested === 'webgpu' || requested === 'webgl') {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu ?? null;
    const reason = gpu ? await startWebGpu(gpu, onTrouble) : 'this worker has no WebGPU (navigator.gpu is missing)';
    if (typeof reason !== 'string') return reason;
    fallbackReason = `webgpu: ${reason}`;
  }
  const choice = await selectBackend({ gpu: null, start: requested === 'cpu' ? 'cpu' : 'wasm', prepareWasm: () => prepareBrowserWasm(false) });
  const reasons = [fallbackReason, choice.fallbackReason].filter(Boolean).join('; ');
  return { backend: choice.backend, ...(reasons ? { fallbackReason: reasons } : {}) };
}

async function startWebGpu(gpu: GPU, onTrouble: GpuTroubleListener): Promise<ReplicaBackend | string> {
  const { createGpuEngine, describeAdapter } = await import('../../../gpu/device.ts');
  try {
    // The webgpu package registers its own async factory on import; left in place, useAsTfjsBackend's
    // findBackend starts that factory in a worker and setBackend then fails ("not yet been initialized").
    if (tf.engine().registryFactory['webgpu']) tf.removeBackend('webgpu');
    engine = await createGpuEngine(gpu);
    if (!engine) return 'WebGPU offered no adapter';
    await engine.useAsTfjsBackend();
  } catch (error) {
    engine?.destroy();
    engine = null;
    return `the WebGPU device could not start: ${(error as Error).message}`;
  }
  watchEngine(engine, onTrouble);
  return { backend: 'webgpu', adapter: describeAdapter(engine.report) };
}

function watchEngine(watched: GpuEngine, onTrouble: GpuTroubleListener): void {
  watched.on((event) => {
    if (event.type === 'deviceLost' && !event.deliberate) onTrouble('deviceLost', event.message || `GPU device lost (${event.reason})`);
    if (event.type === 'uncapturedError') onTrouble('gpuError', `WebGPU ${event.kind} error: ${event.message}`);
  });
}

/** This thread's replica GPU engine (webgpu only), e.g. for a test to provoke a real device error. */
export function replicaGpuEngine(): GpuEngine | null {
  return engine;
}

/** Destroys this replica's GPUDevice on purpose (not reported as a loss). */
export function releaseReplicaBackend(): void {
  engine?.destroy();
  engine = null;
}

/**
 * releaseReplicaBackend, then waits until the device reports itself lost and one more macrotask, so the
 * rejections of its pending mapAsync calls have run before the thread is ended.
 */
export async function releaseReplicaBackendSettled(): Promise<void> {
  const releasing = engine;
  releaseReplicaBackend();
  if (!releasing) return;
  await releasing.device.lost;
  await new Promise((resolve) => setTimeout(resolve, 10));
}
