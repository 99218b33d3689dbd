/**
 * A Keras file (Keras 2 `model.h5`, Keras' ImageNet weights `.h5`, Keras 3 `.keras`) as the studio sees it:
 * a plain-data index of its layers and their weights (names, shapes; no values), and a reader that fetches
 * one weight's values at a time. The index travels between a worker and the page unchanged; the values are
 * read only when a layer is filled, so a 528 MB VGG16 file is never held in memory as a whole.
 *
 * Openers: openNode.ts (Node: the host file system through h5wasm), openBrowser.ts (a File or Blob in the
 * page or a worker). Matching the weights to our networks: backboneWeights.ts and captionImport.ts.
 */
import { UserError } from '../../core/errors.ts';

/** Which of Keras' writers made the file (the three layouts are described in h5Index.ts). */
export type KerasLayout = 'keras2-model' | 'keras2-weights' | 'keras3';

export interface KerasWeight {
  /**
   * The weight's name as Keras wrote it (`lstm/lstm_cell/kernel:0`, `block1_conv1_W_1:0`), or for Keras 3's
   * numbered variables the name Keras 3 gives the variable (`dense_3/kernel`, `lstm_1/lstm_cell/bias`).
   */
  name: string;
  /** Path of the dataset in the HDF5 file. */
  path: string;
  shape: number[];
}

export interface KerasLayerWeights {
  /** The Keras layer name (`block1_conv1`, `dense_2`). */
  layer: string;
  /** The layer's class when the file has a model config (`Dense`, `LSTM`), else null. */
  className: string | null;
  /** In Keras' order for the layer (kernel, bias; gamma, beta, moving mean, moving variance; …). */
  weights: KerasWeight[];
}

export interface KerasFileIndex {
  /** What the user picked (file name or path), for messages. */
  file: string;
  layout: KerasLayout;
  kerasVersion: string | null;
  /** The model's config (`model_config` of a Keras 2 model file, config.json of a .keras), else null. */
  modelConfig: unknown;
  /** Every layer the file lists, in its order, weightless ones included (with no weights). */
  layers: KerasLayerWeights[];
}

export interface KerasWeightsFile {
  readonly index: KerasFileIndex;
  /** The values of one weight (float32, row-major, the dataset's shape); float64 data is converted. */
  read(weight: KerasWeight): Promise<Float32Array>;
  /** Releases the HDF5 file (and any temporary copy or worker). */
  close(): Promise<void>;
}

/** A file that cannot be read as a Keras file at all (not HDF5, not a .keras zip, no Keras layout). */
export class KerasFileError extends UserError {
  constructor(message: string, file: string) {
    super(message, { file });
    this.name = 'KerasFileError';
  }
}

/** File names the studio treats as Keras files (the content decides in the end: see sniffKerasBytes). */
export function isKerasFileName(name: string): boolean {
  return /\.(h5|hdf5|keras)$/i.test(name);
}

/** HDF5's format signature; the superblock sits at 0 or after a user block of 512·2^k bytes. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

/** What the first bytes of a file say it is. */
export function sniffKerasBytes(head: Uint8Array): 'hdf5' | 'zip' | null {
  const startsWith = (signature: number[]) => signature.every((b, i) => head[i] === b);
  if (startsWith(HDF5_SIGNATURE)) return 'hdf5';
  if (startsWith(ZIP_SIGNATURE)) return 'zip';
  return null;
}

export function notKerasMessage(kind: 'not-hdf5' | 'zip-without-weights', detail = ''): string {
  return kind === 'not-hdf5'
    ? 'not an HDF5 file or a Keras .keras zip (expected a Keras model.h5, an ImageNet weights .h5 from ~/.keras/models, or a .keras file)'
    : `a zip, but not a Keras 3 .keras file (no model.weights.h5 in it${detail ? `; it holds ${detail}` : ''})`;
}
