/**
 * The training-step benchmark in a page (tests/bench/browser.bench.ts serves it to headless Chromium):
 * WebGPU from navigator.gpu (stock ops / fused f32 / fused f16 where the adapter has shader-f16) and wasm.
 * Synthetic captions of the notebook's vocabulary (the page has no file access). `?images=4&rounds=1[&only=wasm]`
 * (only=wasm: the studio's default on a machine without a hardware GPU, without the slow emulated-GPU rows).
 * `?mode=cpu-peer`: runs nothing by itself; window.cpuPeerRow(request) takes the CPU peer bench's steps in a
 * worker (cpuPeerWorker.ts) and answers with their time.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { prepareBrowserWasm } from '../../../src/engine/platform/browserWasm';
import { createGpuEngine, describeAdapter } from '../../../src/gpu/device';
import type { CpuPeerAnswer, CpuPeerRequest } from './cpuPeerWorker';
import { formatTable, makeBatches, notebookModel, runVariants, syntheticCaptions, type Variant } from '../trainingSteps';

declare global {
  interface Window {
    benchResult?: { header: string; table: string; error?: string };
    cpuPeerRow?: (request: CpuPeerRequest) => Promise<CpuPeerAnswer>;
  }
}

/** One round of the CPU peer bench's page row: a fresh worker per round, as a new run gets. */
function cpuPeerRow(request: CpuPeerRequest): Promise<CpuPeerAnswer> {
  const worker = new Worker(new URL('./cpuPeerWorker.ts', import.meta.url), { type: 'module' });
  return new Promise<CpuPeerAnswer>((resolve) => {
    worker.onmessage = (event: MessageEvent<CpuPeerAnswer>) => resolve(event.data);
    worker.onerror = (event) => resolve({ error: event.message || 'the worker failed to load' });
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const imagesPerStep = Number(params.get('images') ?? 4);
  const rounds = Number(params.get('rounds') ?? 1);
  const config = notebookModel(8485, 35);
  const batches = makeBatches(syntheticCaptions(imagesPerStep * (rounds + 1), 8485), imagesPerStep, rounds + 1, config);
  await prepareBrowserWasm(false);
  const gpu = params.get('only') === 'wasm' ? undefined : (navigator as { gpu?: GPU }).gpu;
  const engine = gpu ? await createGpuEngine(gpu) : null;
  if (engine) await engine.useAsTfjsBackend();
  const variants: Variant[] = [];
  if (engine) {
    variants.push({ backend: 'webgpu', fusedKernels: false, precision: 'float32' }, { backend: 'webgpu', fusedKernels: true, precision: 'float32' });
    if (engine.shaderF16) variants.push({ backend: 'webgpu', fusedKernels: true, precision: 'mixed_float16' });
  }
  variants.push({ backend: 'wasm', fusedKernels: false, precision: 'float32' });
  const results = await runVariants(variants, batches, config);
  const errors = engine?.errors.map((e) => `${e.type}: ${e.message}`) ?? [];
  window.benchResult = {
    header:
      `training bench (Chromium ${navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? '?'}, ${navigator.hardwareConcurrency} threads): ` +
      `adapter ${engine ? describeAdapter(engine.report) : 'none'}; vocab 8485 (synthetic captions), maxLength 35, ${imagesPerStep} images × 5 captions ` +
      `(${batches[1].tokenCount} tokens) a step, median of ${rounds} interleaved rounds`,
    table: formatTable(results, batches[1].tokenCount),
    ...(errors.length ? { error: errors.join('\n') } : {}),
  };
  document.getElementById('out')!.textContent = `${window.benchResult.header}\n${window.benchResult.table}`;
}

if (new URLSearchParams(location.search).get('mode') === 'cpu-peer') {
  window.cpuPeerRow = cpuPeerRow;
  document.getElementById('out')!.textContent = 'ready for the CPU peer bench';
} else {
  main().catch((error: Error) => {
    window.benchResult = { header: '', table: '', error: error.stack ?? String(error) };
  });
}
void tf;
