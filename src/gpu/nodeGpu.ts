/**
 * Node-only entry to WebGPU: Dawn from the npm package `webgpu`. Kept in its own file so the browser bundle
 * never reaches it (the page and workers pass `navigator.gpu` to the engine instead).
 */

/**
 * Returns a `navigator.gpu`-like object backed by Dawn, after installing Dawn's WebGPU globals
 * (GPUBufferUsage, GPUMapMode, …) that tfjs-backend-webgpu reads from globalThis.
 * Throws with a clear message when the package or its native binary cannot load.
 */
export async function nodeGpu(): Promise<GPU> {
  // One Dawn instance per process, kept alive here: when the GPU object is garbage-collected Dawn tears its
  // instance down under live devices and the process aborts (seen as "std::system_error" / futex errors).
  if (dawnGpu) return dawnGpu;
  let webgpu: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (error) {
    throw new Error(`WebGPU for Node (npm package "webgpu", Dawn) could not be loaded: ${(error as Error).message}`);
  }
  Object.assign(globalThis, webgpu.globals);
  dawnGpu = webgpu.create([]);
  return dawnGpu;
}

let dawnGpu: GPU | null = null;
