/**
 * Reading a Keras file the user picked in the browser (a File or Blob) in place, in a worker: HDF5 reads
 * synchronously, and only a worker can read a Blob synchronously (FileReaderSync), so h5wasm mounts the Blob
 * with Emscripten's WORKERFS and HDF5 reads just the byte ranges it needs from the file on disk. A .keras
 * zip's weights are a stored member: a slice of the Blob, mounted the same way. The page reaches this
 * through openBrowser.ts (a worker of its own: workers/keras.worker.ts).
 */
import { indexKerasH5 } from './h5Index.ts';
import { hdf5Try, inProcessKerasFile } from './h5Read.ts';
import { KerasFileError, notKerasMessage, sniffKerasBytes, type KerasWeightsFile } from './kerasFile.ts';
import { kerasZipMembers, readZipMember, ZipFormatError, type ReadRange } from './zipEntries.ts';

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
