/** loadFolder reads each small image once: its check and its size come from the same bytes. */
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { memoryFolder, type RangeFolder } from '../../../../src/core/data/folders.ts';
import { READ_WHOLE_IMAGE_BYTES } from '../../../../src/core/data/images.ts';
import { loadFolder } from '../../../../src/core/data/pipeline.ts';

const png = (width: number, height: number, fill = 100): Uint8Array =>
  encode({ width, height, data: new Uint8Array(width * height * 3).fill(fill), channels: 3 });

/** A folder that counts the reads of each image (whole or ranged). */
function counting(inner: RangeFolder): { folder: RangeFolder; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const count = (path: string) => reads.set(path, (reads.get(path) ?? 0) + 1);
  return {
    reads,
    folder: {
      ...inner,
      list: () => inner.list(),
      read: (path) => (count(path), inner.read(path)),
      readRange: (path, start, end) => (count(path), inner.readRange(path, start, end)),
    },
  };
}

describe('loadFolder', () => {
  it('reads a small image once for its check and its size; a large one by its ends and its header', async () => {
    // Noise does not compress: a 160×160 RGB PNG of random bytes is about 75 KiB, over the read-whole bound.
    let state = 12345;
    const noise = new Uint8Array(160 * 160 * 3).map(() => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state & 0xff;
    });
    const large = encode({ width: 160, height: 160, data: noise, channels: 3 });
    expect(large.byteLength).toBeGreaterThan(READ_WHOLE_IMAGE_BYTES);
    const { folder, reads } = counting(
      memoryFolder('d', {
        'captions.txt': 'image,caption\nsmall.png,a small grey square\nlarge.png,a large noisy square\n',
        'Images/small.png': png(40, 30),
        'Images/large.png': large,
      }),
    );
    const loaded = await loadFolder(folder);
    expect(loaded.imageSizes.get('Images/small.png')).toEqual({ width: 40, height: 30 });
    expect(loaded.imageSizes.get('Images/large.png')).toEqual({ width: 160, height: 160 });
    expect(reads.get('Images/small.png')).toBe(1);
    expect(reads.get('Images/large.png')).toBe(3);
    expect(loaded.dataset.images.map((image) => image.file)).toEqual(['Images/small.png', 'Images/large.png']);
  });

  it('still reports a broken small image and gives it no size', async () => {
    const truncated = png(20, 20).subarray(0, 30);
    const loaded = await loadFolder(memoryFolder('d', { 'captions.txt': 'image,caption\ncut.png,a cut picture\n', 'Images/cut.png': truncated }));
    expect(loaded.dataset.problems.map((p) => p.code)).toContain('image-truncated');
    expect(loaded.imageSizes.size).toBe(0);
  });
});
