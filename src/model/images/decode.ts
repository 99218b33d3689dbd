/**
 * Image bytes → RGB pixels → the backbone's square input. Pure JavaScript (jpeg-js, fast-png), so the same
 * code runs in Node, a page and a worker; decodeBrowser.ts is the faster native path where
 * createImageBitmap exists. No tfjs here: resizing is a small loop, which keeps this file testable alone.
 */
import jpeg from 'jpeg-js';
import { decode as decodePng } from 'fast-png';
import { readImageSize } from '../../core/data/imageInfo.ts';

/** Interleaved 8-bit RGB, row-major: data.length === width * height * 3. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export type ResizeMethod = 'bilinear' | 'nearest';

/** An image could not be decoded: the extractor reports it (file + reason) and goes on. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/**
 * The most pixels an image may declare. Decoding allocates width × height × 3 (JS) or × 4 (the browser's
 * canvas) bytes up front, so a crafted header (50000×50000 in a file of a few bytes) would ask for gigabytes;
 * a Flickr photo has about 0.2 MP, a 48 MP camera photo stays under the bound.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

/**
 * Refuses an image whose header declares more than MAX_IMAGE_PIXELS, before any decoder allocates its
 * pixels. Every decoder (JS, the Node pool, the browser's createImageBitmap) calls it first.
 */
export function checkImageHeader(bytes: Uint8Array, file: string): void {
  const size = readImageSize(bytes);
  if (size && size.width * size.height > MAX_IMAGE_PIXELS) {
    const megapixels = (size.width * size.height) / 1e6;
    throw new ImageDecodeError(
      file,
      `its header declares ${size.width}×${size.height} pixels (${megapixels.toFixed(0)} MP, ${formatBytes(size.width * size.height * 4)} to decode), ` +
        `more than the ${MAX_IMAGE_PIXELS / 1e6} MP an image may have here; scale it down (a caption model sees it at 224×224)`,
    );
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

export function sniffImageType(bytes: Uint8Array): 'jpeg' | 'png' | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'png';
  return null;
}

/** Decodes JPEG or PNG bytes to RGB (alpha dropped, grey expanded, 16-bit and palettes converted). */
export function decodeImageJs(bytes: Uint8Array, file = 'image'): RgbImage {
  const type = sniffImageType(bytes);
  if (type === null) throw new ImageDecodeError(file, 'not a JPEG or PNG file (unrecognised signature)');
  checkImageHeader(bytes, file);
  try {
    return type === 'jpeg' ? decodeJpeg(bytes) : decodePngToRgb(bytes);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(file, `cannot decode ${type.toUpperCase()}: ${(error as Error).message}`);
  }
}

function decodeJpeg(bytes: Uint8Array): RgbImage {
  const { width, height, data } = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    // Flickr photos are ~0.2 MP; the limits only guard against decompression bombs.
    maxResolutionInMP: 100,
    maxMemoryUsageInMB: 1024,
  });
  if (data.length !== width * height * 3) throw new Error(`unexpected JPEG pixel layout (${data.length} bytes)`);
  return { width, height, data };
}

function decodePngToRgb(bytes: Uint8Array): RgbImage {
  const png = decodePng(bytes);
  const { width, height, channels, depth } = png;
  const pixels = width * height;
  const out = new Uint8Array(pixels * 3);
  if (png.palette) {
    for (let i = 0; i < pixels; i++) {
      const color = png.palette[paletteIndex(png.data as Uint8Array, i, depth)] ?? [0, 0, 0];
      out[3 * i] = color[0];
      out[3 * i + 1] = color[1];
      out[3 * i + 2] = color[2];
    }
    return { width, height, data: out };
  }
  // 16-bit samples keep their high byte.
  const shift = depth === 16 ? 8 : 0;
  const scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  const sample = (index: number): number => {
    if (depth < 8) return Math.round(readBits(png.data as Uint8Array, index, depth, width * channels) * scale);
    return png.data[index] >> shift;
  };
  const colour = channels >= 3;
  for (let i = 0; i < pixels; i++) {
    const base = i * channels;
    out[3 * i] = sample(base);
    out[3 * i + 1] = sample(colour ? base + 1 : base);
    out[3 * i + 2] = sample(colour ? base + 2 : base);
  }
  return { width, height, data: out };
}

/** Sub-byte samples are packed per row, each row starting on a byte boundary. */
function readBits(data: Uint8Array, sampleIndex: number, depth: number, samplesPerRow: number): number {
  const row = Math.floor(sampleIndex / samplesPerRow);
  const column = sampleIndex % samplesPerRow;
  const rowBytes = Math.ceil((samplesPerRow * depth) / 8);
  const bit = column * depth;
  const byte = data[row * rowBytes + (bit >> 3)];
  return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

function paletteIndex(data: Uint8Array, pixel: number, depth: number): number {
  return depth === 8 ? data[pixel] : -1;
}

/**
 * Resizes RGB to size×size (aspect ratio not kept, as Keras' `load_img(target_size=…)` does).
 * Bilinear uses half-pixel centres (TF2 `tf.image.resize`), without antialiasing.
 * @param into where to write (size × size × 3 values), e.g. a batch's slot: an extraction resizes thousands
 *   of images, and a fresh array for each is fresh memory the system hands over page by page (a 224 input is
 *   147 pages; about 13 µs each on the developers' virtual machines).
 * @returns [size, size, 3] float32 RGB in 0..255, row-major (`into` when given).
 */
export function resizeRgb(image: RgbImage, size: number, method: ResizeMethod = 'bilinear', into?: Float32Array): Float32Array {
  const { width, height, data } = image;
  if (into && into.length !== size * size * 3) throw new RangeError(`resizeRgb: ${into.length} values to write ${size}×${size}×3 into`);
  const out = into ?? new Float32Array(size * size * 3);
  const scaleY = height / size;
  const scaleX = width / size;
  // Where each output column reads from is the same on every row: worked out once.
  const left = new Int32Array(size);
  const right = new Int32Array(size);
  const weight = new Float64Array(size);
  for (let x = 0; x < size; x++) {
    if (method === 'nearest') {
      left[x] = 3 * Math.min(width - 1, Math.floor(x * scaleX));
      continue;
    }
    const fx = Math.max(0, (x + 0.5) * scaleX - 0.5);
    const x0 = Math.min(width - 1, Math.floor(fx));
    left[x] = 3 * x0;
    right[x] = 3 * Math.min(width - 1, x0 + 1);
    weight[x] = fx - x0;
  }
  for (let y = 0; y < size; y++) {
    let dst = y * size * 3;
    if (method === 'nearest') {
      const row = Math.min(height - 1, Math.floor(y * scaleY)) * width * 3;
      for (let x = 0; x < size; x++, dst += 3) {
        const src = row + left[x];
        out[dst] = data[src];
        out[dst + 1] = data[src + 1];
        out[dst + 2] = data[src + 2];
      }
      continue;
    }
    const fy = Math.max(0, (y + 0.5) * scaleY - 0.5);
    const y0 = Math.min(height - 1, Math.floor(fy));
    const y1 = Math.min(height - 1, y0 + 1);
    const wy = fy - y0;
    const top0 = y0 * width * 3;
    const bottom0 = y1 * width * 3;
    for (let x = 0; x < size; x++) {
      const wx = weight[x];
      const a = top0 + left[x];
      const b = top0 + right[x];
      const c = bottom0 + left[x];
      const d = bottom0 + right[x];
      for (let ch = 0; ch < 3; ch++, dst++) {
        const top = data[a + ch] + (data[b + ch] - data[a + ch]) * wx;
        const bottom = data[c + ch] + (data[d + ch] - data[c + ch]) * wx;
        out[dst] = top + (bottom - top) * wy;
      }
    }
  }
  return out;
}

/** Decodes with whatever this environment does best (the browser's decoders where present, else JS). */
export type ImageDecoder = (bytes: Uint8Array, file: string) => Promise<RgbImage>;

export const decodeImageJsAsync: ImageDecoder = async (bytes, file) => decodeImageJs(bytes, file);

/**
 * Bytes → backbone input: [size, size, 3] float32 RGB 0..255, written to `options.into` when given (see
 * resizeRgb). Throws ImageDecodeError.
 */
export async function imageToInput(
  bytes: Uint8Array,
  file: string,
  size = 224,
  options: { decode?: ImageDecoder; resize?: ResizeMethod; into?: Float32Array } = {},
): Promise<Float32Array> {
  const decode = options.decode ?? decodeImageJsAsync;
  const image = await decode(bytes, file);
  if (image.width < 1 || image.height < 1) throw new ImageDecodeError(file, 'image has no pixels');
  return resizeRgb(image, size, options.resize, options.into);
}
