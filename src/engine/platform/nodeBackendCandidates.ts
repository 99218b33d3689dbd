/**
 * The backends a Node process can calibrate (src/model/backendCalibration.ts): wasm, cpu, and WebGPU through
 * Dawn when it finds an adapter (named with its adapter, and as a software emulation where it is one, e.g.
 * Mesa's lavapipe). What is not available comes back as a reason, for the CLI to print.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendCandidate } from '../../model/backendCalibration.ts';
import type { GpuEngine } from '../../gpu/device.ts';

export interface NodeCandidates {
  candidates: BackendCandidate[];
  /** Backends left out, with why (e.g. "webgpu: Dawn found no adapter"). */
  unavailable: string[];
}

async function setTfBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not start the ${name} backend`);
  await tf.ready();
}

/** `webgpu: false` leaves Dawn out (e.g. extraction, whose backbones the CLI runs on wasm or cpu only). */
export async function nodeBackendCandidates(options: { webgpu?: boolean } = {}): Promise<NodeCandidates> {
  const candidates: BackendCandidate[] = [
    { backend: 'wasm', label: 'wasm', software: false, activate: () => setTfBackend('wasm') },
    { backend: 'cpu', label: 'cpu', software: false, activate: () => setTfBackend('cpu') },
  ];
  const unavailable: string[] = [];
  if (options.webgpu === false) return { candidates, unavailable };
  let engine: GpuEngine | null = null;
  try {
    const [{ nodeGpu }, { createGpuEngine }] = await Promise.all([import('../../gpu/nodeGpu.ts'), import('../../gpu/device.ts')]);
    engine = await createGpuEngine(await nodeGpu());
    if (!engine) unavailable.push('webgpu: Dawn found no WebGPU adapter');
    else {
      const held = engine;
      const { vendor, architecture, device, description, isSoftware } = held.report;
      const name = [vendor, architecture, device || description].filter(Boolean).join(' ') || 'unknown adapter';
      candidates.push({
        backend: 'webgpu',
        label: `webgpu (${name}${isSoftware ? ', software' : ''})`,
        software: held.report.isSoftware,
        activate: async () => void (await held.useAsTfjsBackend()),
        release: () => held.destroy(),
      });
    }
  } catch (error) {
    unavailable.push(`webgpu: ${(error as Error).message.split('\n')[0]}`);
  }
  return { candidates, unavailable };
}
