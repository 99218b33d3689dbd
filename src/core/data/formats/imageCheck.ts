/**
 * Cheap image sanity checks from a file's first and last bytes, without decoding: is it an image at all
 * (magic bytes), and does it end the way a complete file of its type ends (truncated downloads are common).
 */
export type ImageKind = 'jpeg' | 'png' | 'gif' | 'bmp' | 'webp';

/** Bytes to read from each end of a file for `checkImage`. */
export const IMAGE_HEAD_BYTES = 32;
export const IMAGE_TAIL_BYTES = 1024;

export function sniffImageKind(head: Uint8Array): ImageKind | null {
  const at = (i: number): number => head[i] ?? -1;
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  if (at(0) === 0x89 && at(1) === 0x50 && at(2) === 0x4e && at(3) === 0x47 && at(4) === 0x0d && at(5) === 0x0a) {
    return 'png';
  }
  if (at(0) === 0x47 && at(1) === 0x49 && at(2) === 0x46 && at(3) === 0x38) return 'gif';
  if (at(0) === 0x42 && at(1) === 0x4d) return 'bmp';
  const ascii = (from: number, to: number): string => String.fromCharCode(...head.subarray(from, to));
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return null;
}

function indexOfSequence(bytes: Uint8Array, sequence: number[]): number {
  outer: for (let i = bytes.length - sequence.length; i >= 0; i--) {
    for (let j = 0; j < sequence.length; j++) if (bytes[i + j] !== sequence[j]) continue outer;
    return i;
  }
  return -1;
}

function littleEndianUint32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16)) + bytes[offset + 3] * 0x1000000;
}

export type ImageCheck =
  | { status: 'ok'; kind: ImageKind }
  | { status: 'empty' }
  | { status: 'not-an-image' }
  | { status: 'truncated'; kind: ImageKind };

/**
 * `head`: the first IMAGE_HEAD_BYTES bytes; `tail`: the last IMAGE_TAIL_BYTES bytes (or the whole file when
 * smaller); `sizeBytes`: the file's size.
 */
export function checkImage(head: Uint8Array, tail: Uint8Array, sizeBytes: number): ImageCheck {
  if (sizeBytes === 0) return { status: 'empty' };
  const kind = sniffImageKind(head);
  if (kind === null) return { status: 'not-an-image' };
  let complete: boolean;
  switch (kind) {
    // EOI marker. Inside entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so FF D9
    // near the end means the image data ended; some cameras append bytes after it, hence a search.
    case 'jpeg':
      complete = sizeBytes > 4 && indexOfSequence(tail, [0xff, 0xd9]) >= 0;
      break;
    case 'png':
      complete = indexOfSequence(tail, [0x49, 0x45, 0x4e, 0x44]) >= 0; // IEND chunk
      break;
    case 'gif': {
      let end = tail.length - 1;
      while (end >= 0 && tail[end] === 0) end--;
      complete = end >= 0 && tail[end] === 0x3b; // trailer
      break;
    }
    case 'bmp':
      complete = head.length >= 6 && littleEndianUint32(head, 2) <= sizeBytes;
      break;
    case 'webp':
      complete = head.length >= 8 && littleEndianUint32(head, 4) + 8 <= sizeBytes;
      break;
  }
  return complete ? { status: 'ok', kind } : { status: 'truncated', kind };
}
