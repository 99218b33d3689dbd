/**
 * Browser only (Vite `?url` imports): points the tfjs wasm backend at the binaries Vite emits, since the
 * bundled module no longer sits next to them.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/**
 * @param threads false (replicas): one wasm thread per replica worker, since the replicas themselves are the
 *   parallelism; the threaded build's pthread workers also fail when Vite bundles them ("e is not defined").
 */
export async function prepareBrowserWasm(threads = false): Promise<void> {
  if (!threads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainUrl,
    'tfjs-backend-wasm-simd.wasm': simdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdUrl,
  });
}
