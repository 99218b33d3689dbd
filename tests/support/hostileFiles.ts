/**
 * Crafted files for the hostile-input tests (issue 15): real, small files whose headers lie about their size.
 * Each is a valid image of a few pixels with its header rewritten, as an attacker would make it.
 */
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { crc32 } from '../../src/core/data/png.ts';

/** A 4×4 PNG whose IHDR claims width×height (CRC recomputed, so decoders trust it). */
export function pngClaiming(width: number, height: number): Uint8Array {
  const png = encodePng({ width: 4, height: 4, data: new Uint8Array(48).fill(128), channels: 3 });
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(png.subarray(12, 29)));
  return png;
}

/** An 8×8 baseline JPEG whose SOF0 marker claims width×height (at most 65535 each). */
export function jpegClaiming(width: number, height: number): Uint8Array {
  const encoded = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(200) }, 90).data;
  const bytes = new Uint8Array(encoded);
  for (let i = 2; i + 9 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      view.setUint16(i + 5, height);
      view.setUint16(i + 7, width);
      return bytes;
    }
  }
  throw new Error('no SOF0 marker in the encoded JPEG');
}
