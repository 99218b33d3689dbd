/**
 * Native decoding in a page or a worker: createImageBitmap + OffscreenCanvas (both exist in workers).
 * Falls back to the JS decoders where they are missing (Node, old browsers).
 */
import { ImageDecodeError, checkImageHeader, decodeImageJs, type ImageDecoder, type RgbImage } from './decode.ts';

export function hasNativeDecode(): boolean {
  return typeof createImageBitmap === 'function' && typeof OffscreenCanvas === 'function';
}

export const decodeImageNative: ImageDecoder = async (bytes, file) => {
  checkImageHeader(bytes, file);
  let bitmap: ImageBitmap;
  try {
    // Raw pixel values, as PIL and the JS decoders give them: no colour management, no premultiplied alpha.
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new ImageDecodeError(file, `the browser cannot decode it (${(error as Error).message || 'unknown format'})`);
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new ImageDecodeError(file, 'no 2D canvas context available');
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const pixels = bitmap.width * bitmap.height;
    const data = new Uint8Array(pixels * 3);
    for (let i = 0; i < pixels; i++) {
      data[3 * i] = rgba[4 * i];
      data[3 * i + 1] = rgba[4 * i + 1];
      data[3 * i + 2] = rgba[4 * i + 2];
    }
    const image: RgbImage = { width: bitmap.width, height: bitmap.height, data };
    return image;
  } finally {
    bitmap.close();
  }
};

/** The best decoder this environment offers. */
export function defaultImageDecoder(): ImageDecoder {
  return hasNativeDecode() ? decodeImageNative : async (bytes, file) => decodeImageJs(bytes, file);
}
