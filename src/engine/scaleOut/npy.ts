/**
 * NumPy's .npy format (v1.0 written; v1–v3 read), for the arrays an exported run shares with PyTorch:
 * float32 and int32, little-endian, C order. Plain data with no pickle, so numpy.load(allow_pickle=False)
 * reads what we write and we read what numpy.save writes without running anything.
 * (npm `npyjs` only parses and pulls a fetch polyfill; writing is the half we need most, and the format is
 * one short header.)
 */
import { UserError } from '../../core/errors.ts';

export type NpyArray = { dtype: 'float32'; shape: number[]; data: Float32Array } | { dtype: 'int32'; shape: number[]; data: Int32Array };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR = { float32: '<f4', int32: '<i4' } as const;

/** The bytes of a .npy file holding `data` with `shape` (its product must equal data.length). */
export function encodeNpy(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape [${shape}] holds ${count} values, data has ${data.length}`);
  const descr = data instanceof Float32Array ? DESCR.float32 : DESCR.int32;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic (6) + version (2) + length (2) + header + '\n' is padded with spaces to a multiple of 64, as numpy does.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Little-endian hosts (every browser and Node platform we run on) store typed arrays as .npy wants them.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/**
 * Parses a .npy file; anything but a C-order little-endian float32 or int32 array is a UserError naming
 * `file`, as is a header that does not match the file's length.
 */
export function decodeNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (what: string): never => {
    throw new UserError(`${file}: ${what}`, { file });
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major !== 1 && major !== 2 && major !== 3) fail(`.npy format version ${major} is not supported`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail('truncated header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes + headerLength;
  if (bytes.length < start) fail('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(8 + lengthBytes, start));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') fail('Fortran-order arrays are not supported (save it C-ordered)');
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((n) => !Number.isSafeInteger(n) || n < 0)) fail(`bad shape (${shapeText})`);
  const dtype = descr === DESCR.float32 ? 'float32' : descr === DESCR.int32 ? 'int32' : null;
  if (!dtype) fail(`dtype '${descr}' is not supported (float32 '<f4' or int32 '<i4')`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== count * 4) fail(`shape (${shape.join(', ')}) needs ${count * 4} data bytes, the file holds ${bytes.length - start}`);
  // Copied so the array is aligned and owns its buffer.
  const payload = bytes.slice(start).buffer;
  return dtype === 'float32' ? { dtype, shape, data: new Float32Array(payload) } : { dtype: 'int32', shape, data: new Int32Array(payload) };
}
