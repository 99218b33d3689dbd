/**
 * Opening a Keras file the user picked in the browser (a File or Blob), without uploading or copying it: in
 * a worker (the extraction worker) it is read right there (blobReader.ts); in the page, a small worker
 * (workers/keras.worker.ts, logic in kerasWorker.ts) reads it and sends each weight's values back,
 * transferred, not copied.
 */
import { canReadBlobsSynchronously, kerasHdf5Blob, openKerasBlobHere } from './blobReader.ts';
import { KerasFileError, type KerasFileIndex, type KerasWeightsFile } from './kerasFile.ts';
import type { FromKerasWorker, ToKerasWorker } from './kerasWorker.ts';

/** Opens the HDF5 Blob in a worker of its own; the page gets the index and then one weight per request. */
async function openKerasBlobInWorker(h5: Blob, name: string, config: unknown): Promise<KerasWeightsFile> {
  const worker = new Worker(new URL('../../../workers/keras.worker.ts', import.meta.url), { type: 'module', name: 'keras-file' });
  const pending = new Map<number, { resolve(values: Float32Array): void; reject(error: Error): void }>();
  let nextId = 0;
  let opened!: { resolve(index: KerasFileIndex): void; reject(error: Error): void };
  const index = new Promise<KerasFileIndex>((resolve, reject) => (opened = { resolve, reject }));
  const fail = (message: string, file: string | null): Error => (file === null ? new Error(message) : new KerasFileError(message, file));
  worker.onmessage = ({ data }: MessageEvent<FromKerasWorker>) => {
    if (data.type === 'opened') opened.resolve(data.index);
    else if (data.type === 'values') pending.get(data.id)?.resolve(data.values);
    else if (data.id === null) opened.reject(fail(data.message, data.file));
    else pending.get(data.id)?.reject(fail(data.message, data.file));
    if (data.type !== 'opened' && data.id !== null) pending.delete(data.id);
  };
  worker.onerror = (event) => {
    const error = new Error(`the Keras file worker failed: ${event.message}`);
    opened.reject(error);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.postMessage({ type: 'open', h5, name, config } satisfies ToKerasWorker);
  let resolved: KerasFileIndex;
  try {
    resolved = await index;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return {
    index: resolved,
    read: (weight) =>
      new Promise<Float32Array>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'read', id, weight } satisfies ToKerasWorker);
      }),
    close: async () => {
      // Terminating frees the worker's wasm heap as well; nothing else holds the file.
      worker.terminate();
    },
  };
}

/** Opens a picked Keras file (.h5 or .keras) in the page or in a worker. */
export async function openKerasBlob(blob: Blob, name: string): Promise<KerasWeightsFile> {
  const { h5, config } = await kerasHdf5Blob(blob, name);
  return canReadBlobsSynchronously() ? openKerasBlobHere(h5, name, config) : openKerasBlobInWorker(h5, name, config);
}
