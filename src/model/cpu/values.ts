/**
 * A float32 tensor's values on the CPU backends without a copy where the backend allows one: on wasm a view of
 * the module's memory (dataSync would first copy them into a fresh array, whose pages Chromium's renderer
 * faults in anew: see trainingOps.ts), on cpu the backend's own array (what dataSync hands over there).
 * Read it before the next tfjs allocation: one may grow wasm's memory, which detaches the view.
 */
import * as tf from '@tensorflow/tfjs';

export function valuesInPlace(tensor: tf.Tensor): Float32Array {
  if (tf.getBackend() === 'wasm' && tensor.dtype === 'float32') {
    const backend = tf.backend() as unknown as { dataIdMap?: { get(dataId: object): { memoryOffset?: number } | undefined }; wasm?: { HEAPU8?: Uint8Array } };
    const offset = backend.dataIdMap?.get(tensor.dataId)?.memoryOffset;
    const heap = backend.wasm?.HEAPU8;
    if (typeof offset === 'number' && heap) return new Float32Array(heap.buffer, heap.byteOffset + offset, tensor.size);
  }
  return tensor.dataSync() as Float32Array;
}
