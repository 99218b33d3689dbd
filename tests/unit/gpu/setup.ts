/**
 * Shared setup for the GPU kernel tests: a Dawn device in Node (lavapipe on GPU-less machines) registered as
 * the tfjs `webgpu` backend, or a skip reason saying why there is none. Every uncaptured WebGPU error is
 * collected on the engine; tests call `engine.assertNoErrors()`.
 */
import * as tf from '@tensorflow/tfjs';
import { createGpuEngine, describeAdapter, type GpuEngine } from '../../../src/gpu/device';
import { nodeGpu } from '../../../src/gpu/nodeGpu';

export interface GpuSetup {
  engine: GpuEngine | null;
  skipReason: string;
  adapter: string;
}

export async function setupGpu(): Promise<GpuSetup> {
  let engine: GpuEngine | null = null;
  try {
    engine = await createGpuEngine(await nodeGpu());
  } catch (error) {
    return { engine: null, skipReason: `no WebGPU in Node: ${(error as Error).message}`, adapter: '' };
  }
  if (!engine) {
    return {
      engine: null,
      skipReason: 'Dawn found no adapter (install Mesa lavapipe: mesa-vulkan-drivers from bookworm-backports)',
      adapter: '',
    };
  }
  await engine.useAsTfjsBackend();
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  return { engine, skipReason: '', adapter: describeAdapter(engine.report) };
}

/** Seeded uniform values in [-scale, scale): deterministic test data without tfjs. */
export function randomArray(length: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Runs `fn` on the cpu backend and returns its results as plain arrays; the previous backend is restored. */
export async function onCpu(fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    const tensors = fn();
    const values = tensors.map((t) => t.dataSync() as Float32Array);
    tf.dispose(tensors);
    return values;
  } finally {
    await tf.setBackend(previous);
  }
}

/** Largest |got - want| / (|want| + floor) over all elements. */
export function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-3): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + floor));
  return worst;
}

/**
 * Largest |got - want| / bound over all elements, where bound is the sum of absolute terms (e.g. |A|·|B| for a
 * matmul): the relative error of a dot product measured where it is well defined, even when terms cancel.
 */
export function maxBoundRatio(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (bound[i] + 1e-30));
  return worst;
}
