/**
 * Records our own WGSL compute passes into the tfjs webgpu backend's command stream, so custom kernels and
 * stock tfjs ops stay in one ordered queue and share tfjs' buffer pool. tfjs' own WebGPUProgram path cannot
 * be used for f16: it prepends its own WGSL header, and `enable f16;` must be the first line of a shader.
 * The backend fields used here (tensorMap, commandEncoder, computePassEncoder, …) are public in the 4.22 JS
 * but not in its typings, hence the narrow structural type below.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

interface TensorData {
  resource?: GPUBuffer | null;
  /** The dtype of the data in the buffer, which can differ from the tensor's (see float32Data). */
  dtype: tf.DataType;
}

/** The parts of WebGPUBackend 4.22 that custom kernels rely on. */
export interface BackendInternals {
  device: GPUDevice;
  tensorMap: { get(dataId: object): TensorData };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  makeUniforms(uniforms: Array<{ type: 'int32' | 'uint32' | 'float32'; data: number[] }>): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** The current tfjs backend as a WebGPU backend, or a clear error naming the backend in use. */
export function webgpuBackend(): BackendInternals {
  if (tf.getBackend() !== 'webgpu') {
    throw new Error(`fused WebGPU kernels need the webgpu backend; the current tfjs backend is ${tf.getBackend()}`);
  }
  return tf.backend() as unknown as WebGPUBackend & BackendInternals;
}

export function hasShaderF16(backend: BackendInternals): boolean {
  return backend.device.features.has('shader-f16');
}

/**
 * A float32 tensor whose GPU buffer really holds f32. tfjs-webgpu 4.22 implements cast int32 → float32 by
 * sharing the int32 buffer (its own shaders read the buffer's dtype); our WGSL reads array<f32>, so such a
 * tensor is materialised with one elementwise op.
 */
export function float32Data<T extends tf.Tensor>(tensor: T): T {
  const backend = webgpuBackend();
  const cast = tensor.dtype === 'float32' ? tensor : (tf.cast(tensor, 'float32') as T);
  if (backend.tensorMap.get(cast.dataId).dtype === 'float32') return cast;
  return tf.mul(cast, tf.scalar(1, 'float32')) as T;
}

/** The GPUBuffer holding a tensor's data (uploaded first when it still lives on the CPU). */
export function bufferOf(backend: BackendInternals, tensor: tf.TensorInfo): GPUBuffer {
  const stored = backend.tensorMap.get(tensor.dataId).dtype;
  if (tensor.dtype !== 'float32' || stored !== 'float32') {
    throw new Error(`custom kernels take float32 data, got ${tensor.dtype} (stored as ${stored}); use float32Data()`);
  }
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId).resource;
  if (!(resource && 'mapAsync' in resource)) throw new Error('tensor data is not in a GPUBuffer');
  return resource;
}

/** A new float32 tensor backed by a pooled GPUBuffer, tracked by the tfjs engine (dispose as usual). */
export function newTensor<R extends tf.Rank>(backend: BackendInternals, shape: number[]): tf.Tensor<R> {
  const info = backend.makeTensorInfo(shape, 'float32');
  backend.uploadToGPU(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

const pipelineCaches = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Compiles once per device and variant key. */
export function pipelineFor(device: GPUDevice, key: string, makeCode: () => string): GPUComputePipeline {
  let cache = pipelineCaches.get(device);
  if (!cache) {
    cache = new Map();
    pipelineCaches.set(device, cache);
  }
  let pipeline = cache.get(key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: makeCode(), label: key });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    cache.set(key, pipeline);
  }
  return pipeline;
}

/**
 * Records one dispatch. `tensors` are bound in order at bindings 0..n-1, the u32 uniforms at binding n.
 * Marks every tensor as owned by the pending command buffer so tfjs defers recycling its buffer until submit.
 */
export function dispatch(
  backend: BackendInternals,
  pipeline: GPUComputePipeline,
  tensors: tf.TensorInfo[],
  uniformsU32: number[],
  workgroups: [number, number, number],
): void {
  const entries: GPUBindGroupEntry[] = tensors.map((t, i) => ({ binding: i, resource: { buffer: bufferOf(backend, t) } }));
  entries.push({ binding: tensors.length, resource: backend.makeUniforms([{ type: 'uint32', data: uniformsU32 }]) });
  const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  for (const t of tensors) backend.commandQueueOwnedIds.add(t.dataId);
  backend.ensureCommandEncoderReady();
  if (!backend.computePassEncoder) backend.computePassEncoder = backend.commandEncoder!.beginComputePass();
  const pass = backend.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
  backend.dispatchCountInPass++;
  // Same batching rule as tfjs' own programs: submit every N dispatches so the GPU starts early.
  if (backend.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}
