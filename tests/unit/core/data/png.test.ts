import { decode, encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { encodeRgbPng } from '../../../../src/core/data/png';
import { generateDemoScenes, renderScene } from '../../../../src/core/data/demo';

describe('encodeRgbPng', () => {
  it('writes the bytes fast-png writes for the same RGB image, and they decode back to the pixels', () => {
    const images = [
      ...generateDemoScenes({ images: 3, seed: 5, imageSize: 64 }).map((scene) => ({ width: 64, height: 64, rgb: renderScene(scene, 64) })),
      // Not square, odd sizes, noise (incompressible rows).
      { width: 7, height: 3, rgb: Uint8Array.from({ length: 7 * 3 * 3 }, (_, i) => (i * 2654435761) >>> 24) },
    ];
    for (const { width, height, rgb } of images) {
      const ours = encodeRgbPng(width, height, rgb);
      expect(ours).toEqual(encode({ width, height, data: rgb, channels: 3, depth: 8 }));
      const back = decode(ours);
      expect([back.width, back.height, back.channels]).toEqual([width, height, 3]);
      expect(Uint8Array.from(back.data)).toEqual(rgb);
    }
  });

  it('refuses pixels that do not fill the size, naming both', () => {
    expect(() => encodeRgbPng(4, 4, new Uint8Array(47))).toThrow('encodeRgbPng: 47 bytes for 4×4 RGB (expected 48)');
  });
});
