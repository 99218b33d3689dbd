/**
 * Feature cache: image features keyed by (image content SHA-256, backbone id, weights id), so extraction
 * happens once per image, whatever the image is called and wherever it is read from.
 *
 * Stores: `MemoryFeatureStore` (tests, fallback), `NodeFeatureFileStore` (featureCacheNode.ts: the
 * feature file below), `IdbFeatureStore` (featureCacheIdb.ts: IndexedDB in the browser).
 *
 * ## Feature file format (`caption-studio extract --out <file>`; `train --features <file>` reads it)
 * All integers little-endian; the file only ever grows by appending records, so an interrupted run leaves a
 * valid prefix (a torn last record is ignored on read and cut off before the next append).
 * ```
 *   bytes 0..7      magic "CSFEAT01" (ASCII)
 *   bytes 8..11     uint32 headerBytes H
 *   bytes 12..12+H  header JSON (UTF-8), space-padded so that 12+H is a multiple of 4:
 *                   { format: "caption-studio-features", version: 1, backbone: "vgg16"|"mobilenet",
 *                     backboneId, weights: "random"|{kind,location}, weightsId, featureDim, inputSize,
 *                     resize: "bilinear"|"nearest", createdAt }
 *   then records, each a multiple of 4 bytes:
 *     uint32        nameBytes N
 *     N bytes       image name (UTF-8, as the caption file names it), zero-padded to a multiple of 4
 *     32 bytes      SHA-256 of the image file's bytes
 *     featureDim × float32   the feature vector
 * ```
 * A name may appear more than once (an image re-extracted under new weights never shares a file, but a
 * renamed copy does): the last record wins.
 */
import type { FeatureIdentity } from '../../model/backbones/types.ts';

export const FEATURE_FILE_MAGIC = 'CSFEAT01';
export const FEATURE_FILE_FORMAT = 'caption-studio-features';
export const FEATURE_FILE_VERSION = 1;

export interface FeatureFileHeader extends FeatureIdentity {
  format: typeof FEATURE_FILE_FORMAT;
  version: number;
  createdAt: string;
}

export interface FeatureRecord {
  name: string;
  /** Lower-case hex SHA-256 of the image file's bytes. */
  sha256: string;
  /** [featureDim] */
  features: Float32Array;
}

/** What `readFeatureFile` / `decodeFeatureFile` return. */
export interface FeatureFileContents extends FeatureIdentity {
  header: FeatureFileHeader;
  /** Image name → feature vector [featureDim]. */
  features: Map<string, Float32Array>;
  /** Image name → SHA-256 hex of its bytes. */
  hashes: Map<string, string>;
  /** Bytes of a torn last record (an interrupted write), ignored. */
  truncatedBytes: number;
}

export class FeatureFileError extends Error {
  constructor(
    message: string,
    readonly code: 'not-a-feature-file' | 'unsupported-version' | 'identity-mismatch' | 'corrupt' | 'unreadable' | 'unwritable',
  ) {
    super(message);
    this.name = 'FeatureFileError';
  }
}

/** A place features are cached. Implementations make `put` durable before it resolves. */
export interface FeatureStore {
  readonly identity: FeatureIdentity;
  /** Cached features by content hash (hashes not cached are absent from the map). */
  getByHash(sha256: string[]): Promise<Map<string, Float32Array>>;
  /** Name → hash of what the store already holds under that name (for resume and reporting). */
  names(): Promise<Map<string, string>>;
  put(records: FeatureRecord[]): Promise<void>;
  close(): Promise<void>;
}

export function sameIdentity(a: FeatureIdentity, b: FeatureIdentity): boolean {
  return (
    a.backbone === b.backbone &&
    a.backboneId === b.backboneId &&
    a.weightsId === b.weightsId &&
    a.featureDim === b.featureDim &&
    a.inputSize === b.inputSize &&
    (a.resize ?? 'bilinear') === (b.resize ?? 'bilinear')
  );
}

export function describeIdentity(id: FeatureIdentity): string {
  const weights = id.weights === 'random' ? 'RANDOM weights' : `weights ${id.weights.kind} ${id.weights.location}`;
  const resize = (id.resize ?? 'bilinear') === 'bilinear' ? '' : `, ${id.resize} resize`;
  return `${id.backboneId} (${id.featureDim}-d, ${weights}, ${id.weightsId.slice(0, 19)}${resize})`;
}

/** Lower-case hex SHA-256 via WebCrypto (Node ≥ 20 and every browser, workers included). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return bytesToHex(new Uint8Array(digest));
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

const pad4 = (n: number): number => (n + 3) & ~3;

export function makeHeader(identity: FeatureIdentity, createdAt = new Date().toISOString()): FeatureFileHeader {
  return { format: FEATURE_FILE_FORMAT, version: FEATURE_FILE_VERSION, ...pickIdentity(identity), createdAt };
}

function pickIdentity(id: FeatureIdentity): FeatureIdentity {
  const { backbone, backboneId, weights, weightsId, featureDim, inputSize } = id;
  return { backbone, backboneId, weights, weightsId, featureDim, inputSize, resize: id.resize ?? 'bilinear' };
}

/** The header block: magic, length, padded JSON. */
export function encodeHeader(header: FeatureFileHeader): Uint8Array {
  let json = JSON.stringify(header);
  const jsonBytes0 = new TextEncoder().encode(json);
  json += ' '.repeat(pad4(12 + jsonBytes0.length) - 12 - jsonBytes0.length);
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(12 + jsonBytes.length);
  out.set(new TextEncoder().encode(FEATURE_FILE_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, jsonBytes.length, true);
  out.set(jsonBytes, 12);
  return out;
}

export function encodeRecords(records: FeatureRecord[], featureDim: number): Uint8Array {
  const encoded = records.map((r) => new TextEncoder().encode(r.name));
  const total = encoded.reduce((sum, nameBytes) => sum + 4 + pad4(nameBytes.length) + 32 + 4 * featureDim, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  records.forEach((record, i) => {
    if (record.features.length !== featureDim) {
      throw new Error(`feature vector of ${record.name} has ${record.features.length} values, expected ${featureDim}`);
    }
    const nameBytes = encoded[i];
    view.setUint32(offset, nameBytes.length, true);
    out.set(nameBytes, offset + 4);
    offset += 4 + pad4(nameBytes.length);
    out.set(hexToBytes(record.sha256), offset);
    offset += 32;
    for (let k = 0; k < featureDim; k++) view.setFloat32(offset + 4 * k, record.features[k], true);
    offset += 4 * featureDim;
  });
  return out;
}

/** Parses the header block; throws FeatureFileError when `bytes` does not start a feature file. */
export function decodeHeader(bytes: Uint8Array, fileLabel = 'feature file'): { header: FeatureFileHeader; bytes: number } {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.length < 12 || magic !== FEATURE_FILE_MAGIC) {
    throw new FeatureFileError(
      `${fileLabel} is not a caption-studio feature file (expected it to start with "${FEATURE_FILE_MAGIC}"; ` +
        'make one with `caption-studio extract`)',
      'not-a-feature-file',
    );
  }
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + headerBytes > bytes.length) {
    throw new FeatureFileError(`${fileLabel}: header is cut short (file truncated?)`, 'corrupt');
  }
  let header: FeatureFileHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerBytes))) as FeatureFileHeader;
  } catch {
    throw new FeatureFileError(`${fileLabel}: header JSON does not parse`, 'corrupt');
  }
  if (header.format !== FEATURE_FILE_FORMAT || header.version !== FEATURE_FILE_VERSION) {
    throw new FeatureFileError(
      `${fileLabel}: format ${String(header.format)} version ${String(header.version)} is not supported ` +
        `(this build reads ${FEATURE_FILE_FORMAT} version ${FEATURE_FILE_VERSION})`,
      'unsupported-version',
    );
  }
  return { header, bytes: 12 + headerBytes };
}

/** Decodes a whole feature file held in memory. */
export function decodeFeatureFile(bytes: Uint8Array, fileLabel = 'feature file'): FeatureFileContents & { validBytes: number } {
  const { header, bytes: headerLength } = decodeHeader(bytes, fileLabel);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const features = new Map<string, Float32Array>();
  const hashes = new Map<string, string>();
  const dim = header.featureDim;
  let offset = headerLength;
  while (offset + 4 <= bytes.length) {
    const nameLength = view.getUint32(offset, true);
    const recordLength = 4 + pad4(nameLength) + 32 + 4 * dim;
    if (offset + recordLength > bytes.length) break;
    const name = new TextDecoder().decode(bytes.subarray(offset + 4, offset + 4 + nameLength));
    const hashOffset = offset + 4 + pad4(nameLength);
    const vector = new Float32Array(dim);
    for (let k = 0; k < dim; k++) vector[k] = view.getFloat32(hashOffset + 32 + 4 * k, true);
    features.set(name, vector);
    hashes.set(name, bytesToHex(bytes.subarray(hashOffset, hashOffset + 32)));
    offset += recordLength;
  }
  return {
    ...pickIdentity(header),
    header,
    features,
    hashes,
    truncatedBytes: bytes.length - offset,
    validBytes: offset,
  };
}

/** Holds everything in memory: tests, and the browser when IndexedDB is unavailable. */
export class MemoryFeatureStore implements FeatureStore {
  private readonly byHash = new Map<string, Float32Array>();
  private readonly byName = new Map<string, string>();
  constructor(readonly identity: FeatureIdentity) {}

  async getByHash(sha256: string[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    for (const hash of sha256) {
      const vector = this.byHash.get(hash);
      if (vector) found.set(hash, vector);
    }
    return found;
  }

  async names(): Promise<Map<string, string>> {
    return new Map(this.byName);
  }

  async put(records: FeatureRecord[]): Promise<void> {
    for (const r of records) {
      this.byHash.set(r.sha256, r.features);
      this.byName.set(r.name, r.sha256);
    }
  }

  async close(): Promise<void> {}
}
