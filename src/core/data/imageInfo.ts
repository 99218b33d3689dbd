/**
 * Image facts from the bytes alone, without decoding: type, width and height from the headers (via the
 * `image-size` package's main entry, which takes a Uint8Array and does not touch node:fs, so it bundles for the
 * browser), and whether the file looks complete (an end marker or a declared size the bytes reach).
 * Used by the loader (warnings for empty, truncated and non-image files) and by the statistics (dimensions).
 * No DOM, no tfjs.
 */

import { imageSize } from 'image-size';

/** Raster types the studio accepts (what a browser's createImageBitmap decodes). */
export type ImageType = 'jpg' | 'png' | 'gif' | 'webp' | 'bmp';

export interface ImageSize {
  width: number;
  height: number;
  type: ImageType;
}

export type ImageByteStatus = 'ok' | 'empty' | 'truncated' | 'not-image';

export interface ImageInspection {
  status: ImageByteStatus;
  /** Type from the magic bytes, even when the rest is unusable; null when no known magic. */
  type: ImageType | null;
  /** Dimensions from the header when the header is complete (also for a file truncated later on). */
  size: ImageSize | null;
  /** Human-readable reason for a status other than 'ok' (for a Problem's message), '' when ok. */
  reason: string;
}

const MAGICS: { type: ImageType; bytes: number[] }[] = [
  { type: 'jpg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'gif', bytes: [0x47, 0x49, 0x46, 0x38] }, // "GIF8"
  { type: 'bmp', bytes: [0x42, 0x4d] }, // "BM"
];

function startsWith(bytes: Uint8Array, magic: number[], offset = 0): boolean {
  if (bytes.length < offset + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[offset + i] !== magic[i]) return false;
  return true;
}

/** True when the whole (short) file is a proper prefix of the magic: a file cut inside its signature. */
function isPrefixOf(bytes: Uint8Array, magic: number[]): boolean {
  if (bytes.length === 0 || bytes.length >= magic.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== magic[i]) return false;
  return true;
}

const RIFF = [0x52, 0x49, 0x46, 0x46];
const WEBP = [0x57, 0x45, 0x42, 0x50];

/** Type from the signature; `partial` when the file ends inside the signature. */
function sniff(bytes: Uint8Array): { type: ImageType; partial: boolean } | null {
  for (const m of MAGICS) {
    if (startsWith(bytes, m.bytes)) return { type: m.type, partial: false };
  }
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return { type: 'webp', partial: false };
  // Two bytes at least, so that a one-byte file is not called a truncated image by chance.
  if (bytes.length >= 2) {
    for (const m of MAGICS) if (m.bytes.length > 2 && isPrefixOf(bytes, m.bytes)) return { type: m.type, partial: true };
  }
  return null;
}

/** Image type from the magic bytes, or null. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  const s = sniff(bytes);
  return s && !s.partial ? s.type : null;
}

function readUint32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

/** Index of a byte sequence within the last `window` bytes, or -1. */
function findNearEnd(bytes: Uint8Array, needle: number[], window: number): number {
  const from = Math.max(0, bytes.length - window);
  outer: for (let i = bytes.length - needle.length; i >= from; i--) {
    for (let k = 0; k < needle.length; k++) if (bytes[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** Why the file looks cut short after its header, or '' when its end is where it should be. */
function endProblem(bytes: Uint8Array, type: ImageType): string {
  switch (type) {
    case 'jpg':
      // Inside entropy-coded data every 0xFF is followed by 0x00, so FF D9 near the end is the EOI marker.
      // A window, not the last two bytes: some cameras pad after EOI.
      return findNearEnd(bytes, [0xff, 0xd9], 1024) < 0 ? 'JPEG end marker (FFD9) missing' : '';
    case 'png':
      return findNearEnd(bytes, [0x49, 0x45, 0x4e, 0x44], 64) < 0 ? 'PNG IEND chunk missing' : '';
    case 'gif': {
      let last = bytes.length - 1;
      while (last > 0 && bytes[last] === 0) last--;
      return bytes[last] !== 0x3b ? 'GIF trailer (3B) missing' : '';
    }
    case 'webp': {
      const declared = readUint32LE(bytes, 4) + 8;
      return bytes.length < declared ? `RIFF declares ${declared} bytes, file has ${bytes.length}` : '';
    }
    case 'bmp': {
      // Some writers leave the file-size field 0; the pixel-data offset must still lie inside the file.
      const declared = bytes.length >= 6 ? readUint32LE(bytes, 2) : 0;
      const pixelOffset = bytes.length >= 14 ? readUint32LE(bytes, 10) : 0;
      if (declared > bytes.length) return `BMP header declares ${declared} bytes, file has ${bytes.length}`;
      if (pixelOffset >= bytes.length) return 'BMP pixel data missing';
      return '';
    }
  }
}

/** Full inspection: status, type, header dimensions and the reason for a bad status. */
export function inspectImageBytes(bytes: Uint8Array): ImageInspection {
  if (bytes.length === 0) return { status: 'empty', type: null, size: null, reason: 'empty file (0 bytes)' };
  const sniffed = sniff(bytes);
  if (!sniffed) {
    return { status: 'not-image', type: null, size: null, reason: 'not a JPEG, PNG, GIF, WebP or BMP image (unknown signature)' };
  }
  const { type } = sniffed;
  const label = type.toUpperCase();
  if (sniffed.partial) {
    return { status: 'truncated', type, size: null, reason: `${label} file ends inside its signature (${bytes.length} bytes)` };
  }
  let size: ImageSize | null = null;
  try {
    // image-size builds DataViews on `bytes.buffer` from byteOffset to the buffer's end, so on a view into a
    // larger buffer it would read past the view (a truncated file would look complete): give it its own copy.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const result = imageSize(own);
    if (result.width && result.height) size = { width: result.width, height: result.height, type };
  } catch {
    // image-size throws RangeError/TypeError when the header runs past the end of the bytes.
  }
  if (!size) {
    return { status: 'truncated', type, size: null, reason: `${label} header incomplete: no width/height found in ${bytes.length} bytes` };
  }
  const problem = endProblem(bytes, type);
  if (problem) return { status: 'truncated', type, size, reason: `truncated ${label}: ${problem}` };
  return { status: 'ok', type, size, reason: '' };
}

/** 'ok' | 'empty' | 'truncated' | 'not-image', for the loader's warnings. */
export function classifyImageBytes(bytes: Uint8Array): ImageByteStatus {
  return inspectImageBytes(bytes).status;
}

/**
 * Width, height and type from the headers, without decoding; null for non-images and for headers that are
 * incomplete. A file cut after its header still gives its size (use classifyImageBytes to tell).
 */
export function readImageSize(bytes: Uint8Array): ImageSize | null {
  return inspectImageBytes(bytes).size;
}
