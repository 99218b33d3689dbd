import * as tf from '@tensorflow/tfjs';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImageJs, ImageDecodeError, imageToInput, MAX_IMAGE_PIXELS, resizeRgb, type RgbImage } from '../../../../src/model/images/decode.ts';
import { jpegClaiming, pngClaiming } from '../../../support/hostileFiles.ts';
import { createNodeDecoderPool } from '../../../../src/model/images/decodeNode.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomRgb(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return { width, height, data };
}

describe('decoding', () => {
  it('decodes PNG in RGB, RGBA (alpha dropped), grey (expanded) and 16-bit (high byte)', () => {
    const rgb = decodeImageJs(encodePng({ width: 2, height: 1, data: new Uint8Array([1, 2, 3, 250, 251, 252]), channels: 3 }));
    expect(Array.from(rgb.data)).toEqual([1, 2, 3, 250, 251, 252]);
    const rgba = decodeImageJs(encodePng({ width: 1, height: 1, data: new Uint8Array([9, 8, 7, 0]), channels: 4 }));
    expect(Array.from(rgba.data)).toEqual([9, 8, 7]);
    const grey = decodeImageJs(encodePng({ width: 2, height: 1, data: new Uint8Array([5, 200]), channels: 1 }));
    expect(Array.from(grey.data)).toEqual([5, 5, 5, 200, 200, 200]);
    const deep = decodeImageJs(encodePng({ width: 1, height: 1, data: new Uint16Array([0x1234, 0xff00, 0x00ff]), channels: 3, depth: 16 }));
    expect(Array.from(deep.data)).toEqual([0x12, 0xff, 0x00]);
  });

  it('decodes JPEG to RGB', () => {
    const width = 16;
    const height = 8;
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([200, 100, 50, 255], 4 * i);
    const bytes = new Uint8Array(jpeg.encode({ width, height, data: rgba }, 100).data);
    const image = decodeImageJs(bytes, 'flat.jpg');
    expect([image.width, image.height, image.data.length]).toEqual([16, 8, 16 * 8 * 3]);
    expect(Math.abs(image.data[0] - 200)).toBeLessThanOrEqual(3);
    expect(Math.abs(image.data[1] - 100)).toBeLessThanOrEqual(3);
    expect(Math.abs(image.data[2] - 50)).toBeLessThanOrEqual(3);
  });

  it('names the file and the reason for what it cannot decode', async () => {
    const notImage = new TextEncoder().encode('hello, I am a text file');
    expect(() => decodeImageJs(notImage, 'Images/a.jpg')).toThrow(ImageDecodeError);
    expect(() => decodeImageJs(notImage, 'Images/a.jpg')).toThrow('Images/a.jpg: not a JPEG or PNG file');
    const brokenPng = encodePng({ width: 4, height: 4, data: new Uint8Array(48), channels: 3 }).slice(0, 40);
    const error = await imageToInput(brokenPng, 'b.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).file).toBe('b.png');
    expect((error as ImageDecodeError).reason).toMatch(/^cannot decode PNG: /);
  });
});

describe('resizing', () => {
  it('bilinear equals tf.image.resizeBilinear with half-pixel centres (down and up)', () => {
    const image = randomRgb(7, 5, 3);
    for (const size of [4, 9]) {
      const ours = resizeRgb(image, size, 'bilinear');
      const reference = tf.tidy(() =>
        tf.image.resizeBilinear(tf.tensor3d(Float32Array.from(image.data), [5, 7, 3]), [size, size], false, true).dataSync(),
      );
      expect(ours.length).toBe(size * size * 3);
      ours.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 3));
    }
  });

  it('writes into a given array (a batch slot) the values a fresh one gets, and refuses one of the wrong length', () => {
    const image = randomRgb(7, 5, 3);
    const batch = new Float32Array(3 * 9 * 9 * 3).fill(-1);
    const slot = batch.subarray(9 * 9 * 3, 2 * 9 * 9 * 3);
    for (const method of ['bilinear', 'nearest'] as const) {
      expect(resizeRgb(image, 9, method, slot)).toBe(slot);
      expect(Array.from(slot)).toEqual(Array.from(resizeRgb(image, 9, method)));
    }
    // The neighbouring slots are untouched.
    expect(batch.subarray(0, 9 * 9 * 3).every((v) => v === -1)).toBe(true);
    expect(batch.subarray(2 * 9 * 9 * 3).every((v) => v === -1)).toBe(true);
    expect(() => resizeRgb(image, 8, 'bilinear', slot)).toThrow(RangeError);
  });

  it('nearest picks source pixels; output is [size, size, 3] float in 0..255', () => {
    const image: RgbImage = { width: 2, height: 2, data: new Uint8Array([0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30]) };
    const out = resizeRgb(image, 4, 'nearest');
    expect(out[0]).toBe(0);
    expect(out[3 * 3]).toBe(10);
    expect(out[(3 * 4 + 3) * 3]).toBe(30);
  });
});

describe('Node decoder pool (worker threads)', () => {
  it('decodes JPEGs exactly as the JS decoder, passes PNGs through, and reports broken files by name', async () => {
    const pool = createNodeDecoderPool(2);
    try {
      const rgba = new Uint8Array(24 * 16 * 4).map((_, i) => (i * 13) % 256);
      const jpegBytes = new Uint8Array(jpeg.encode({ width: 24, height: 16, data: rgba }, 90).data);
      const [a, b] = await Promise.all([pool.decode(jpegBytes, 'a.jpg'), pool.decode(jpegBytes.slice(), 'b.jpg')]);
      const reference = decodeImageJs(jpegBytes);
      expect([a.width, a.height]).toEqual([24, 16]);
      expect(Array.from(a.data)).toEqual(Array.from(reference.data));
      expect(Array.from(b.data)).toEqual(Array.from(reference.data));
      const png = await pool.decode(encodePng({ width: 1, height: 1, data: new Uint8Array([1, 2, 3]), channels: 3 }), 'c.png');
      expect(Array.from(png.data)).toEqual([1, 2, 3]);
      const broken = await pool.decode(jpegBytes.slice(0, 200), 'Images/broken.jpg').catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(ImageDecodeError);
      expect((broken as Error).message).toMatch(/^Images\/broken\.jpg: cannot decode JPEG: /);
    } finally {
      await pool.close();
    }
  });
});

describe('hostile headers (issue 15): an image that claims 50000×50000 pixels', () => {
  const refusal = /^its header declares 50000×50000 pixels \(2500 MP, 9\.3 GiB to decode\), more than the 100 MP an image may have here; scale it down/;

  it('is refused by the JS decoders from its header, before any pixel buffer is allocated', async () => {
    expect(MAX_IMAGE_PIXELS).toBe(100_000_000);
    for (const [bytes, file] of [[pngClaiming(50000, 50000), 'Images/huge.png'], [jpegClaiming(50000, 50000), 'Images/huge.jpg']] as const) {
      const before = process.memoryUsage().arrayBuffers;
      const error = await imageToInput(bytes, file, 32).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect((error as ImageDecodeError).file).toBe(file);
      expect((error as ImageDecodeError).reason).toMatch(refusal);
      expect((error as Error).message.split('\n')).toHaveLength(1);
      // Nothing near the claimed size was allocated (the refusal comes before decoding).
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    }
  });

  it('is refused by the Node decoder pool before the JPEG goes to a worker; the pool then decodes the next image', async () => {
    const pool = createNodeDecoderPool(1);
    try {
      const error = await pool.decode(jpegClaiming(50000, 50000), 'huge.jpg').catch((e: unknown) => e);
      expect((error as ImageDecodeError).reason).toMatch(refusal);
      const fine = await pool.decode(jpegClaiming(8, 8), 'fine.jpg');
      expect([fine.width, fine.height]).toEqual([8, 8]);
    } finally {
      await pool.close();
    }
  });

  it('an image within the bound whose header still lies is an ordinary decode error, named', () => {
    // 4×4 pixels of data under a header of 64×64: the decoder meets the end of the data.
    expect(() => decodeImageJs(pngClaiming(64, 64), 'liar.png')).toThrow(/^liar\.png: cannot decode PNG: /);
  });
});
