import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { classifyImageBytes, inspectImageBytes, readImageSize, sniffImageType } from '../../../../src/core/data/imageInfo';
import { repoRoot } from '../../../paths';
import { skipUnlessPresent } from '../../../prerequisites.ts';

const imagesDir = path.resolve(repoRoot, '..', 'shared', 'datasets', 'flickr8k', 'Images');
const hasRealImages = existsSync(imagesDir);
// Sizes read by an independent Python SOF parser (tests/fixtures/make_image_sizes.py).
const pythonSizes = JSON.parse(readFileSync(path.join(repoRoot, 'tests/fixtures/flickr8k-image-sizes.json'), 'utf8'))
  .sizes as Record<string, [number, number]>;

function png(width: number, height: number): Uint8Array {
  return encode({ width, height, data: new Uint8Array(width * height * 3).fill(128), channels: 3 });
}

function gif(width: number, height: number): Uint8Array {
  // Header, logical screen descriptor (no colour table), then the trailer: enough for header-only reading.
  return new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, width & 255, width >> 8, height & 255, height >> 8, 0, 0, 0, 0x3b]);
}

function bmp(width: number, height: number): Uint8Array {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + rowBytes * height;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b[0] = 0x42;
  b[1] = 0x4d;
  v.setUint32(2, size, true);
  v.setUint32(10, 54, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, 24, true);
  return b;
}

function webp(width: number, height: number): Uint8Array {
  // RIFF/WEBP with a VP8X chunk: canvas size minus one in 24-bit little-endian fields.
  const b = new Uint8Array(30);
  const v = new DataView(b.buffer);
  b.set([0x52, 0x49, 0x46, 0x46], 0);
  v.setUint32(4, 22, true);
  b.set([0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x58], 8);
  v.setUint32(16, 10, true);
  const w = width - 1;
  const h = height - 1;
  b.set([w & 255, (w >> 8) & 255, (w >> 16) & 255, h & 255, (h >> 8) & 255, (h >> 16) & 255], 24);
  return b;
}

describe('readImageSize / classifyImageBytes on synthetic files', () => {
  it('reads PNG, GIF, BMP and WebP headers', () => {
    expect(readImageSize(png(37, 21))).toEqual({ width: 37, height: 21, type: 'png' });
    expect(readImageSize(gif(300, 7))).toEqual({ width: 300, height: 7, type: 'gif' });
    expect(readImageSize(bmp(5, 9))).toEqual({ width: 5, height: 9, type: 'bmp' });
    expect(readImageSize(webp(640, 480))).toEqual({ width: 640, height: 480, type: 'webp' });
    for (const bytes of [png(4, 4), gif(4, 4), bmp(4, 4), webp(4, 4)]) expect(classifyImageBytes(bytes)).toBe('ok');
  });

  it('empty, not an image, truncated', () => {
    expect(classifyImageBytes(new Uint8Array(0))).toBe('empty');
    expect(readImageSize(new Uint8Array(0))).toBeNull();
    const text = new TextEncoder().encode('image,caption\nx.jpg,a dog\n');
    expect(classifyImageBytes(text)).toBe('not-image');
    expect(readImageSize(text)).toBeNull();
    // An SVG is text the studio cannot decode without a DOM: not an image here.
    expect(classifyImageBytes(new TextEncoder().encode('<svg width="10" height="20"></svg>'))).toBe('not-image');
    expect(classifyImageBytes(new Uint8Array([0x42]))).toBe('not-image');

    const full = png(16, 16);
    expect(classifyImageBytes(full.subarray(0, 5))).toBe('truncated'); // inside the signature
    expect(classifyImageBytes(full.subarray(0, 20))).toBe('truncated'); // inside IHDR
    expect(readImageSize(full.subarray(0, 20))).toBeNull();
    const cutAfterHeader = full.subarray(0, full.length - 20);
    expect(classifyImageBytes(cutAfterHeader)).toBe('truncated');
    // The header is complete, so the size is still known.
    expect(readImageSize(cutAfterHeader)).toEqual({ width: 16, height: 16, type: 'png' });
    expect(inspectImageBytes(cutAfterHeader).reason).toMatch(/IEND/);

    expect(classifyImageBytes(gif(4, 4).subarray(0, 12))).toBe('truncated');
    expect(classifyImageBytes(bmp(8, 8).subarray(0, 100))).toBe('truncated');
    expect(classifyImageBytes(webp(8, 8).subarray(0, 26))).toBe('truncated');
  });

  it('sniffImageType looks at the signature only', () => {
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpg');
    expect(sniffImageType(new Uint8Array([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(new Uint8Array([1, 2, 3, 4]))).toBeNull();
  });
});

describe.skipIf(skipUnlessPresent(hasRealImages ? '' : `${imagesDir} is absent`, '../shared Flickr8K images'))(
  `real Flickr8K JPEGs${hasRealImages ? '' : ' — skipped: ../shared/datasets/flickr8k/Images absent'}`,
  () => {
    const names = hasRealImages ? readdirSync(imagesDir).filter((n) => n.endsWith('.jpg')).sort() : [];

    it('reads the dimensions of all 100 images from their headers, equal to the Python SOF parser', () => {
      expect(names.length).toBe(100);
      for (const name of names) {
        const bytes = new Uint8Array(readFileSync(path.join(imagesDir, name)));
        const size = readImageSize(bytes);
        expect(size, name).toEqual({ width: pythonSizes[name][0], height: pythonSizes[name][1], type: 'jpg' });
        expect(classifyImageBytes(bytes), name).toBe('ok');
        expect(Math.max(size!.width, size!.height)).toBeLessThanOrEqual(500);
      }
    });

    it('tells truncated JPEGs apart: cut in the header and cut in the scan data', () => {
      const bytes = new Uint8Array(readFileSync(path.join(imagesDir, names[0])));
      expect(classifyImageBytes(bytes.subarray(0, 2))).toBe('truncated');
      expect(classifyImageBytes(bytes.subarray(0, 300))).toBe('truncated');
      expect(readImageSize(bytes.subarray(0, 300))).toBeNull();
      const half = bytes.subarray(0, Math.floor(bytes.length / 2));
      expect(classifyImageBytes(half)).toBe('truncated');
      expect(readImageSize(half)).toEqual(readImageSize(bytes));
      expect(inspectImageBytes(half).reason).toMatch(/FFD9/);
    });
  },
);
