/**
 * Opening a Keras file in Node. h5wasm's Node build reaches the host file system directly (Emscripten's
 * NODERAWFS), so HDF5 reads the parts of the file it needs from disk: the file is never loaded as a whole.
 * A .keras zip's model.weights.h5 is copied to a temporary file first (a streamed copy of its byte range,
 * inflated on the way if it was deflated), because HDF5 opens files by path; the copy is removed on close.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { indexKerasH5 } from './h5Index.ts';
import { hdf5Try, inProcessKerasFile } from './h5Read.ts';
import { KerasFileError, notKerasMessage, sniffKerasBytes, type KerasWeightsFile } from './kerasFile.ts';
import { kerasZipMembers, ZipFormatError, type ReadRange } from './zipEntries.ts';

type H5wasmNode = typeof import('h5wasm');

let h5wasmNode: Promise<H5wasmNode> | null = null;
/** h5wasm's Node build, started once. */
function loadH5wasm(): Promise<H5wasmNode> {
  h5wasmNode ??= (async () => {
    const module = (await import('h5wasm/node')) as unknown as { default: H5wasmNode } & H5wasmNode;
    const h5wasm = module.default ?? module;
    // HDF5 errors become exceptions carrying HDF5's reason, instead of diagnostics printed to stderr.
    (await h5wasm.ready).activate_throwing_error_handler();
    return h5wasm;
  })();
  return h5wasmNode;
}

/**
 * Opens a Keras 2 `.h5`, an ImageNet weights `.h5` or a Keras 3 `.keras` file.
 * @param shownAs how messages name the file (default: the path)
 * @throws KerasFileError (a UserError naming the file) for a missing file, a file that is not HDF5 or a
 *   .keras zip, or an HDF5 file without a Keras layout
 */
export async function openKerasFileNode(path: string, shownAs = path): Promise<KerasWeightsFile> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new KerasFileError('file not found', shownAs);
  if (!info.isFile()) throw new KerasFileError('not a file', shownAs);
  const handle = await open(path, 'r');
  let kind: ReturnType<typeof sniffKerasBytes>;
  let h5Path = path;
  let config: unknown = null;
  let tempDir: string | null = null;
  try {
    const head = new Uint8Array(8);
    await handle.read(head, 0, 8, 0);
    kind = sniffKerasBytes(head);
    if (kind === null) throw new KerasFileError(notKerasMessage('not-hdf5'), shownAs);
    if (kind === 'zip') {
      const read: ReadRange = async (offset, length) => {
        const buffer = new Uint8Array(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return buffer.subarray(0, bytesRead);
      };
      let members;
      try {
        members = await kerasZipMembers(read, info.size);
      } catch (error) {
        if (error instanceof ZipFormatError) throw new KerasFileError(`not a readable .keras zip: ${error.message}`, shownAs);
        throw error;
      }
      if (!members.weights) throw new KerasFileError(notKerasMessage('zip-without-weights', members.names.slice(0, 6).join(', ')), shownAs);
      config = members.config;
      tempDir = await mkdtemp(join(tmpdir(), 'caption-studio-keras-'));
      h5Path = join(tempDir, 'model.weights.h5');
      const { weights } = members;
      const source = createReadStream('', { fd: handle.fd, autoClose: false, start: weights.dataOffset, end: weights.dataOffset + weights.compressedBytes - 1 });
      if (weights.method === 8) await pipeline(source, createInflateRaw(), createWriteStream(h5Path));
      else if (weights.method === 0) await pipeline(source, createWriteStream(h5Path));
      else throw new KerasFileError(`model.weights.h5 in the archive is compressed with method ${weights.method}; only stored or deflated can be read`, shownAs);
    }
  } catch (error) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw error;
  } finally {
    await handle.close();
  }
  const removeTemp = async () => {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  const h5wasm = await loadH5wasm();
  let file;
  try {
    file = hdf5Try(shownAs, 'open it', () => new h5wasm.File(h5Path, 'r'));
  } catch (error) {
    await removeTemp();
    throw error;
  }
  try {
    const label = kind === 'zip' ? `${shownAs} (model.weights.h5)` : shownAs;
    const index = hdf5Try(label, 'read its layers', () => indexKerasH5(file, label, config));
    return inProcessKerasFile(file, { ...index, file: shownAs }, removeTemp);
  } catch (error) {
    file.close();
    await removeTemp();
    throw error;
  }
}
