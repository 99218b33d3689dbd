/**
 * Native decoding in a page or a worker: WebCodecs' ImageDecoder where the browser offers it (a secure
 * context), else createImageBitmap + OffscreenCanvas (both exist in workers). Falls back to the JS decoders
 * where neither exists (Node, old browsers).
 */
import { sniffImageType } from '../../core/data/imageInfo.ts';
import { ImageDecodeError, checkImageHeader, decodeImageJs, type ImageDecoder, type RgbImage } from './decode.ts';

export function hasNativeDecode(): boolean {
  return typeof createImageBitmap === 'function' && typeof OffscreenCanvas === 'function';
}

/** RGBA rows (4 bytes a pixel, tightly packed) to RGB, alpha dropped as the JS decoders drop it. */
function rgbOf(rgba: ArrayLike<number>, width: number, height: number): RgbImage {
  const pixels = width * height;
  const data = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    data[3 * i] = rgba[4 * i];
    data[3 * i + 1] = rgba[4 * i + 1];
    data[3 * i + 2] = rgba[4 * i + 2];
  }
  return { width, height, data };
}

const MIME_OF = { jpg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp' } as const;

/** ImageDecoderInit as the spec has it: TypeScript's DOM types leave premultiplyAlpha out. */
type DecoderInit = ImageDecoderInit & { premultiplyAlpha?: PremultiplyAlpha };
/** Rotation and flip from the image's EXIF orientation (Chromium sets them; TypeScript's DOM types lack them). */
type OrientedFrame = VideoFrame & { rotation?: number; flip?: boolean };

/**
 * Decodes with WebCodecs' ImageDecoder, straight from the bytes: no Blob to register with the browser
 * process and read back, and no canvas. On Flickr8K's photos that is a quarter of the CPU time of the
 * createImageBitmap path, and for small images a tenth. Null where it does not apply, and the caller takes
 * the createImageBitmap path: no ImageDecoder (an insecure context), a type it does not take, a pixel format
 * it cannot convert to RGBA, or an EXIF orientation (copyTo copies the pixels as stored, while
 * createImageBitmap turns the picture as the orientation says).
 */
async function decodeWithImageDecoder(bytes: Uint8Array): Promise<RgbImage | null> {
  const type = sniffImageType(bytes);
  // globalThis: this module's ImageDecoder is decode.ts's function type, not WebCodecs' class.
  const WebCodecsDecoder = globalThis.ImageDecoder;
  if (typeof WebCodecsDecoder !== 'function' || type === null) return null;
  let decoder: InstanceType<typeof WebCodecsDecoder>;
  try {
    // Raw pixel values, as PIL and the JS decoders give them: no colour management, no premultiplied alpha.
    decoder = new WebCodecsDecoder({ data: bytes, type: MIME_OF[type], colorSpaceConversion: 'none', premultiplyAlpha: 'none' } as DecoderInit);
  } catch {
    return null;
  }
  let frame: OrientedFrame | null = null;
  try {
    frame = (await decoder.decode()).image as OrientedFrame;
    if ((frame.rotation ?? 0) !== 0 || frame.flip === true || !frame.visibleRect) return null;
    const { width, height } = frame.visibleRect;
    const rgba = new Uint8Array(width * height * 4);
    await frame.copyTo(rgba, { format: 'RGBA', layout: [{ offset: 0, stride: width * 4 }] });
    return rgbOf(rgba, width, height);
  } catch {
    // A broken image fails again on the createImageBitmap path, whose message names the problem.
    return null;
  } finally {
    frame?.close();
    decoder.close();
  }
}

/** One canvas a thread, reused: making a 2D context for each image costs more than drawing it. */
let readbackContext: OffscreenCanvasRenderingContext2D | null = null;

async function decodeWithBitmap(bytes: Uint8Array, file: string): Promise<RgbImage> {
  let bitmap: ImageBitmap;
  try {
    // Raw pixel values, as PIL and the JS decoders give them: no colour management, no premultiplied alpha.
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new ImageDecodeError(file, `the browser cannot decode it (${(error as Error).message || 'unknown format'})`);
  }
  try {
    readbackContext ??= new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true });
    const context = readbackContext;
    if (!context) throw new ImageDecodeError(file, 'no 2D canvas context available');
    // Setting the size clears the canvas, so nothing of the previous image shows through transparent pixels.
    context.canvas.width = bitmap.width;
    context.canvas.height = bitmap.height;
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return rgbOf(rgba, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

export const decodeImageNative: ImageDecoder = async (bytes, file) => {
  checkImageHeader(bytes, file);
  return (await decodeWithImageDecoder(bytes)) ?? decodeWithBitmap(bytes, file);
};

/** The best decoder this environment offers. */
export function defaultImageDecoder(): ImageDecoder {
  return hasNativeDecode() ? decodeImageNative : async (bytes, file) => decodeImageJs(bytes, file);
}
