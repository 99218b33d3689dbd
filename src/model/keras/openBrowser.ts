/**
 * Opening a Keras file the user picked in the browser (a File or Blob), without uploading or copying it.
 *
 * HDF5 reads synchronously, and only a worker can read a Blob synchronously (FileReaderSync): h5wasm mounts
 * the Blob with Emscripten's WORKERFS, and HDF5 then reads just the byte ranges it needs from the file on
 * disk. Called in a worker (the extraction worker), that happens right here; called in the page, a small
 * worker (workers/keras.worker.ts) does it and sends each weight's values back, transferred, not copied.
 * A .keras zip's weights are a stored member: a slice of the Blob, mounted the same way.
 */
import { indexKerasH5 } from './h5Index';
import { hdf5Try, inProcessKerasFile } from './h5Read';
import { KerasFileError, notKerasMessage, sniffKerasBytes, type KerasFileIndex, type KerasWeight, type KerasWeightsFile } from './kerasFile';
import { kerasZipMembers, readZipMember, ZipFormatError, type ReadRange } from './zipEntries';

/** True in a worker (FileReaderSync exists only there): HDF5 can then read the Blob in place. */
export function canReadBlobsSynchronously(): boolean {
  return typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === 'function';
}

/** The HDF5 part of a picked file (the file itself, or the weights member of a .keras) and its config. */
export async function kerasHdf5Blob(blob: Blob, name: string): Promise<{ h5: Blob; config: unknown }> {
  const read: ReadRange = async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
  const kind = sniffKerasBytes(await read(0, 8));
  if (kind === null) throw new KerasFileError(notKerasMessage('not-hdf5'), name);
  if (kind === 'hdf5') return { h5: blob, config: null };
  try {
    const members = await kerasZipMembers(read, blob.size);
    if (!members.weights) throw new KerasFileError(notKerasMessage('zip-without-weights', members.names.slice(0, 6).join(', ')), name);
    const { weights } = members;
    const h5 =
      weights.method === 0
        ? blob.slice(weights.dataOffset, weights.dataOffset + weights.bytes)
        : new Blob([(await readZipMember(read, weights)) as Uint8Array<ArrayBuffer>]);
    return { h5, config: members.config };
  } catch (error) {
    if (error instanceof ZipFormatError) throw new KerasFileError(`not a readable .keras zip: ${error.message}`, name);
    throw error;
  }
}

let mounts = 0;

/** Opens the HDF5 Blob in this worker through WORKERFS (needs FileReaderSync). */
export async function openKerasBlobHere(h5: Blob, name: string, config: unknown): Promise<KerasWeightsFile> {
  const h5wasm = await import('h5wasm');
  const module = await h5wasm.ready;
  // HDF5 errors become exceptions carrying HDF5's reason, instead of diagnostics printed to the console.
  module.activate_throwing_error_handler();
  const fs = module.FS as unknown as {
    mkdir(path: string): void;
    rmdir(path: string): void;
    mount(type: unknown, options: unknown, path: string): void;
    unmount(path: string): void;
    filesystems: { WORKERFS: unknown };
  };
  const dir = `/keras-file-${++mounts}`;
  fs.mkdir(dir);
  fs.mount(fs.filesystems.WORKERFS, { blobs: [{ name: 'weights.h5', data: h5 }] }, dir);
  const unmount = () => {
    fs.unmount(dir);
    fs.rmdir(dir);
  };
  let file;
  try {
    file = hdf5Try(name, 'open it', () => new h5wasm.File(`${dir}/weights.h5`, 'r'));
  } catch (error) {
    unmount();
    throw error;
  }
  try {
    return inProcessKerasFile(file, hdf5Try(name, 'read its layers', () => indexKerasH5(file, name, config)), unmount);
  } catch (error) {
    file.close();
    unmount();
    throw error;
  }
}

/** Messages between the page and workers/keras.worker.ts (logic: serveKerasFile in kerasWorker.ts). */
export type ToKerasWorker = { type: 'open'; h5: Blob; name: string; config: unknown } | { type: 'read'; id: number; weight: KerasWeight } | { type: 'close' };
export type FromKerasWorker =
  | { type: 'opened'; index: KerasFileIndex }
  | { type: 'values'; id: number; values: Float32Array }
  | { type: 'failed'; id: number | null; message: string; file: string | null };

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
