/**
 * Reading weights out of an open h5wasm File, a bounded slab at a time: h5wasm copies what it reads through
 * its own wasm heap, which never shrinks, so reading VGG16's 411 MB fc1 kernel in one go would leave a
 * 411 MB heap behind (and hold the values twice while copying). Slabs of rows of at most SLAB_BYTES keep the
 * heap small; the values land in one Float32Array of the weight's size.
 */
import type { Dataset as H5Dataset, File as H5File } from 'h5wasm';
import { KerasFileError, type KerasFileIndex, type KerasWeight, type KerasWeightsFile } from './kerasFile.ts';

export const SLAB_BYTES = 16 << 20;

/**
 * HDF5's own reason for a failure, from the error stack h5wasm's throwing handler puts in the message (the
 * innermost frame says what is wrong: "truncated file: eof = …"). The handler is switched on by the openers,
 * which also keeps HDF5 from printing its diagnostics to stderr.
 */
export function hdf5Reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const frames = [...message.matchAll(/in [\w.]+\(\): (.+)$/gm)].map((m) => m[1].trim());
  return frames.at(-1) ?? message.split('\n')[0];
}

/** Runs an HDF5 read; a failure inside HDF5 (a damaged or truncated file) becomes a KerasFileError naming the file. */
export function hdf5Try<T>(fileLabel: string, what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof KerasFileError) throw error;
    throw new KerasFileError(`HDF5 cannot ${what} (a damaged or truncated file?): ${hdf5Reason(error)}`, fileLabel);
  }
}

/** The values of one weight dataset as float32 (float64 converted; any other type refused). */
export function readWeightValues(file: H5File, weight: KerasWeight, fileLabel: string): Float32Array {
  const dataset = file.get(weight.path) as H5Dataset | null;
  if (!dataset || (dataset as { type?: string }).type !== 'Dataset') {
    throw new KerasFileError(`no dataset at ${weight.path} (weight ${weight.name})`, fileLabel);
  }
  const { metadata } = dataset;
  // h5wasm's metadata: type 1 = float, size in bytes per value.
  if (metadata.type !== 1 || (metadata.size !== 4 && metadata.size !== 8)) {
    throw new KerasFileError(`weight ${weight.name} holds ${String(dataset.dtype)} values; only float32 and float64 weights can be read`, fileLabel);
  }
  const shape = dataset.shape ?? [];
  const total = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(total);
  if (total === 0) return out;
  if (shape.length === 0 || total * metadata.size <= SLAB_BYTES) {
    // Small enough to read whole (the common case): one read, no hyperslab selection.
    out.set(dataset.value as Float32Array | Float64Array);
    return out;
  }
  const rowValues = total / shape[0];
  const rowsPerSlab = Math.max(1, Math.floor(SLAB_BYTES / (rowValues * metadata.size)));
  for (let start = 0; start < shape[0]; start += rowsPerSlab) {
    const stop = Math.min(shape[0], start + rowsPerSlab);
    const slab = dataset.slice([[start, stop]]) as Float32Array | Float64Array;
    // Float64 → float32 rounding happens in set().
    out.set(slab, start * rowValues);
  }
  return out;
}

/** A KerasWeightsFile over an h5wasm File open in this thread. */
export function inProcessKerasFile(file: H5File, index: KerasFileIndex, onClose: () => Promise<void> | void): KerasWeightsFile {
  let closed = false;
  return {
    index,
    read: async (weight) => {
      if (closed) throw new Error(`${index.file} is closed`);
      return hdf5Try(index.file, `read the weight ${weight.name}`, () => readWeightValues(file, weight, index.file));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        file.close();
      } finally {
        await onClose();
      }
    },
  };
}
