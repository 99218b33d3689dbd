/**
 * A picked folder's reads: reads asked for together are done as one read of the files joined, and each
 * caller still gets its own file's bytes (its own copy) or, when the joint read fails, its own file's error.
 */
import { describe, expect, it } from 'vitest';
import { fileListFolder } from '../../../../src/ui/browser/folders.ts';

const bytesOf = (index: number, length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (index * 31 + i) % 256);

describe('fileListFolder reads', () => {
  it('gives each of many concurrent reads its own file, sizes 0 to 5 MiB included', async () => {
    const sizes = [0, 1, 1000, 5 * 1024 * 1024, ...Array.from({ length: 150 }, (_, i) => 100 + i * 37)];
    const folder = fileListFolder(sizes.map((size, i) => new File([bytesOf(i, size) as Uint8Array<ArrayBuffer>], `image${i}.png`)));
    const read = await Promise.all(sizes.map((_, i) => folder.read(`image${i}.png`)));
    // Compared as Buffers: toEqual goes element by element, minutes on 5 MiB.
    read.forEach((bytes, i) => expect(Buffer.from(bytes).equals(bytesOf(i, sizes[i]))).toBe(true));
    // Own copies: one file's bytes do not hold the others' alive.
    expect(read[2].buffer.byteLength).toBe(1000);
  });

  it('reads each file alone when the joint read fails, so only the unreadable file fails', async () => {
    const good = new File([bytesOf(1, 500) as Uint8Array<ArrayBuffer>], 'good.png');
    const bad = new File([bytesOf(2, 500) as Uint8Array<ArrayBuffer>], 'bad.png');
    Object.defineProperty(bad, 'arrayBuffer', { value: () => Promise.reject(new Error('bad.png changed since it was picked')) });
    // A Blob made of a file that cannot be read fails to read as a whole.
    const folder = fileListFolder([good, bad]);
    const OriginalBlob = globalThis.Blob;
    globalThis.Blob = class extends OriginalBlob {
      override arrayBuffer(): Promise<ArrayBuffer> {
        return Promise.reject(new Error('joint read failed'));
      }
    } as typeof Blob;
    try {
      const [a, b] = await Promise.allSettled([folder.read('good.png'), folder.read('bad.png')]);
      expect(a).toEqual({ status: 'fulfilled', value: bytesOf(1, 500) });
      expect(b.status === 'rejected' && (b.reason as Error).message).toBe('bad.png changed since it was picked');
    } finally {
      globalThis.Blob = OriginalBlob;
    }
  });
});
