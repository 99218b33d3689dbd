/**
 * Backend choice in the order webgpu → webgl → wasm → cpu. Each backend that is skipped gets a reason in
 * words, so the UI and the CLI can tell the user why training is not on the GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { createGpuEngine, describeAdapter, type GpuEngine } from './device.ts';

/** The tfjs backends the studio knows, in the order it tries them. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export const backendOrder: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendFallback {
  backend: BackendName;
  reason: string;
}

export interface BackendChoice {
  backend: BackendName;
  /** Present when the choice is webgpu. */
  engine?: GpuEngine;
  /** One line naming the adapter (webgpu only). */
  adapter?: string;
  /** Every backend tried before the chosen one, with why it was passed over. */
  fallbacks: BackendFallback[];
  /** The fallbacks joined into one sentence for a `backendChosen` event; absent when the first choice won. */
  fallbackReason?: string;
}

export interface SelectBackendOptions {
  /** navigator.gpu in a page/worker, Dawn's GPU in Node; null/undefined = no WebGPU here. */
  gpu?: GPU | null;
  /** Start the search at this backend (e.g. `--backend wasm`); earlier ones are not tried. */
  start?: BackendName;
  /** Require shader-f16 for webgpu (mixed_float16); without it webgpu is still chosen, f16 is off. */
  wantF16?: boolean;
  /** Prepares the wasm backend (import the package, set wasm paths); default imports the package. */
  prepareWasm?: () => Promise<void>;
}

async function defaultPrepareWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
}

function hasWebGl(): string | null {
  if (typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') {
    return 'WebGL needs a canvas; none exists here (Node or a worker without OffscreenCanvas)';
  }
  return null;
}

async function trySetBackend(name: BackendName): Promise<string | null> {
  try {
    const ok = await tf.setBackend(name);
    return ok ? null : `tfjs could not initialise the ${name} backend`;
  } catch (error) {
    return `${name} failed to start: ${(error as Error).message}`;
  }
}

export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const fallbacks: BackendFallback[] = [];
  const startIndex = backendOrder.indexOf(options.start ?? 'webgpu');
  for (const backend of backendOrder.slice(startIndex)) {
    const reason = await tryOne(backend, options);
    if (typeof reason !== 'string') {
      const fallbackReason = fallbacks.length ? fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ') : undefined;
      return { backend, fallbacks, fallbackReason, ...reason };
    }
    fallbacks.push({ backend, reason });
  }
  throw new Error(`No tfjs backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

/** A reason string when the backend cannot be used, otherwise what the choice carries. */
async function tryOne(
  backend: BackendName,
  options: SelectBackendOptions,
): Promise<string | { engine?: GpuEngine; adapter?: string }> {
  switch (backend) {
    case 'webgpu': {
      if (options.gpu == null) return 'this environment has no WebGPU (navigator.gpu is missing)';
      let engine: GpuEngine | null;
      try {
        engine = await createGpuEngine(options.gpu, { wantF16: options.wantF16 ?? true });
      } catch (error) {
        return `the WebGPU device could not be created: ${(error as Error).message}`;
      }
      if (engine == null) return 'WebGPU offered no adapter (no GPU, or WebGPU disabled in this browser)';
      try {
        await engine.useAsTfjsBackend();
      } catch (error) {
        engine.destroy();
        return `tfjs could not use the WebGPU device: ${(error as Error).message}`;
      }
      return { engine, adapter: describeAdapter(engine.report) };
    }
    case 'webgl': {
      const missing = hasWebGl();
      if (missing) return missing;
      return (await trySetBackend('webgl')) ?? {};
    }
    case 'wasm': {
      try {
        await (options.prepareWasm ?? defaultPrepareWasm)();
      } catch (error) {
        return `the wasm backend could not load: ${(error as Error).message}`;
      }
      return (await trySetBackend('wasm')) ?? {};
    }
    case 'cpu':
      return (await trySetBackend('cpu')) ?? {};
  }
}
