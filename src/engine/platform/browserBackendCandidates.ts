/**
 * The backends a page can calibrate (src/model/backendCalibration.ts) and switch between: WebGPU on the
 * adapter navigator.gpu offers (named, and flagged as a software emulation where it is one: SwiftShader in
 * headless Chromium), wasm and cpu. The page's counterpart of nodeBackendCandidates.ts.
 *
 * Unlike Node's, these candidates are never released: the page keeps one GPU device until it is lost, since
 * tensors made while WebGPU was current (a backbone's weights, a held model) stay valid after a switch only
 * while their backend lives (tfjs moves a tensor's data to the current backend when an op reads it). After a
 * lost device the page makes new candidates (PageBackendController.renewDevice), with a new device.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendCandidate } from '../../model/backendCalibration.ts';
import type { BackendName } from '../../gpu/backendSelect.ts';
import { createGpuEngine, describeAdapter, type GpuEngine } from '../../gpu/device.ts';

/** What the page shows of its WebGPU adapter (the precision knobs and the Training panel read it). */
export interface WebGpuFacts {
  /** One line naming the adapter, as describeAdapter writes it: 'google swiftshader (software, no-f16)'. */
  adapter: string;
  isSoftware: boolean;
  shaderF16: boolean;
  features: string[];
  limits: Record<string, number>;
}

export interface PageCandidates {
  /** In the order wasm, webgpu, cpu (those that exist here): the order of the calibration's figures. */
  candidates: BackendCandidate[];
  /** Backends left out, with why ("webgpu: this browser has no WebGPU (navigator.gpu is missing)"). */
  unavailable: string[];
  webgpu: WebGpuFacts | null;
  /** Starts a backend that is no candidate (webgl, named in the address); throws with the reason. */
  activateOther(name: BackendName): Promise<void>;
  /** Resolves with the browser's message when the WebGPU device is lost (not released on purpose); absent without one. */
  webgpuLost?: Promise<string>;
}

async function setTfBackend(name: BackendName): Promise<void> {
  if (name !== 'webgpu') await settleWebGpuVariables();
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new Error(`${name} failed to start: ${(error as Error).message}`);
  }
  if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
}

/**
 * Before tfjs leaves WebGPU: every variable held there (a backbone's or a held model's weights) is read back
 * asynchronously, which keeps its values on the CPU side too. tfjs moves a tensor to the new backend when an
 * op reads it, with a synchronous read; from WebGPU that goes through a canvas per tensor, and a backbone's
 * weights read that way left SwiftShader's device unusable for the next step.
 */
async function settleWebGpuVariables(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const engine = tf.engine() as unknown as {
    backend: unknown;
    state: { registeredVariables: Record<string, tf.Variable>; tensorInfo: WeakMap<object, { backend: unknown }> };
  };
  const held = Object.values(engine.state.registeredVariables).filter(
    (v) => !v.isDisposed && engine.state.tensorInfo.get(v.dataId)?.backend === engine.backend,
  );
  const reads = Promise.all(held.map((v) => v.data())).then(() => undefined);
  const device = (engine.backend as { device?: GPUDevice }).device;
  if (!device) return reads;
  // Leaving a lost device (for wasm, after the loss): its reads may never settle, and fail when they do;
  // nothing on it can be kept, so the switch goes on without them.
  await Promise.race([reads.catch(() => undefined), device.lost]);
}

/** The candidate of a WebGPU device: registered as tfjs' `webgpu` backend once, then switched to by name. */
export function webGpuCandidate(engine: GpuEngine): BackendCandidate {
  const { vendor, architecture, device, description, isSoftware } = engine.report;
  const name = [vendor, architecture, device || description].filter(Boolean).join(' ') || 'unknown adapter';
  let registered = false;
  // A lost device or an uncaptured error makes every later step on it wrong: the candidate then fails with why.
  let trouble: string | null = null;
  engine.on((event) => {
    if (event.type === 'deviceLost' && !event.deliberate) trouble = `the GPU device was lost: ${event.message || event.reason}`;
    if (event.type === 'uncapturedError') trouble ??= `WebGPU ${event.kind} error: ${event.message.split('\n')[0]}`;
  });
  return {
    backend: 'webgpu',
    label: `webgpu (${name}${isSoftware ? ', software' : ''})`,
    software: isSoftware,
    async activate() {
      if (trouble) throw new Error(trouble);
      // Registering again would dispose the backend instance, and with it every tensor on it.
      if (!registered) {
        await engine.useAsTfjsBackend();
        registered = true;
      } else await setTfBackend('webgpu');
    },
  };
}

/**
 * `gpu`: navigator.gpu (null where there is none); `prepareWasm`: points tfjs' wasm backend at its binaries.
 */
export async function browserBackendCandidates(options: { gpu: GPU | null; prepareWasm: () => Promise<void> }): Promise<PageCandidates> {
  const candidates: BackendCandidate[] = [];
  const unavailable: string[] = [];
  let webgpu: WebGpuFacts | null = null;
  let webgpuLost: Promise<string> | undefined;
  if (!options.gpu) unavailable.push('webgpu: this browser has no WebGPU (navigator.gpu is missing)');
  else {
    try {
      const engine = await createGpuEngine(options.gpu, { wantF16: true });
      if (!engine) unavailable.push('webgpu: WebGPU offered no adapter (no GPU, or WebGPU disabled in this browser)');
      else {
        candidates.push(webGpuCandidate(engine));
        webgpuLost = new Promise((resolve) => {
          engine.on((event) => {
            if (event.type === 'deviceLost' && !event.deliberate) resolve(event.message || `reason: ${event.reason}`);
          });
        });
        const { report } = engine;
        webgpu = {
          adapter: describeAdapter(report),
          isSoftware: report.isSoftware,
          shaderF16: engine.shaderF16,
          features: [...report.features].sort(),
          limits: { ...report.limits },
        };
      }
    } catch (error) {
      unavailable.push(`webgpu: the WebGPU device could not be created: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  let wasmPrepared: Promise<void> | null = null;
  candidates.unshift({
    backend: 'wasm',
    label: 'wasm',
    software: false,
    async activate() {
      wasmPrepared ??= (async () => {
        await options.prepareWasm();
        await import('@tensorflow/tfjs-backend-wasm');
      })();
      await wasmPrepared;
      await setTfBackend('wasm');
    },
  });
  candidates.push({ backend: 'cpu', label: 'cpu', software: false, activate: () => setTfBackend('cpu') });
  return {
    candidates,
    unavailable,
    webgpu,
    ...(webgpuLost ? { webgpuLost } : {}),
    async activateOther(name) {
      if (name === 'webgl' && typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') {
        throw new Error('WebGL needs a canvas; none exists here');
      }
      await setTfBackend(name);
    },
  };
}
