/**
 * WGSL boilerplate shared by our kernels: the module header (`enable f16;` must be its first line), the
 * storage bindings in the order dispatch() binds tensors (0..n-1, the u32 uniforms at n), and code unrolling.
 * Also which kernel shape suits the device: CPU emulations (lavapipe, SwiftShader) run a workgroup as SIMD
 * loops over invocations, where every load whose address differs between invocations is a per-lane gather
 * and a load whose address is the same for all (from workgroup ids and loop counters) is one scalar load.
 * Kernels for them give each invocation a register block of outputs and read one operand "uniformly"; real
 * GPUs get workgroup-memory tiling instead.
 */
import { isSoftwareAdapter } from '../device.ts';

export interface StorageBinding {
  name: string;
  /** WGSL element type: 'f32' or 'vec4<f32>' */
  element: string;
  access: 'read' | 'read_write';
  /** Shape in the doc comment, e.g. '[B,T,4H]'. */
  shape?: string;
}

/**
 * `enable f16;` (when asked), a 4 x u32 uniform struct named Dims with the given field names, and the
 * storage bindings in dispatch() order followed by `dims`.
 */
export function wgslHeader(f16: boolean, dimsFields: [string, string, string, string], bindings: StorageBinding[]): string {
  const lines = bindings.map(
    (b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${b.element}>;${b.shape ? ` // ${b.shape}` : ''}`,
  );
  return `${f16 ? 'enable f16;\n' : ''}struct Dims { ${dimsFields.map((f) => `${f}: u32`).join(', ')} }
${lines.join('\n')}
@group(0) @binding(${bindings.length}) var<uniform> dims: Dims;
`;
}

/** n copies of a code line, one per index (WGSL loops over registers are not unrolled by every driver). */
export function unrolled(n: number, line: (i: number) => string, separator = '\n'): string {
  return Array.from({ length: n }, (_, i) => line(i)).join(separator);
}

const softwareDevices = new WeakMap<GPUDevice, boolean>();

/** True on CPU emulations of WebGPU; false on real GPUs and when the device does not say (GPUDevice.adapterInfo). */
export function isCpuEmulated(device: GPUDevice): boolean {
  let known = softwareDevices.get(device);
  if (known === undefined) {
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    known = info ? isSoftwareAdapter(info) : false;
    softwareDevices.set(device, known);
  }
  return known;
}
