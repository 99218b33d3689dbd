/** Dataset image URLs live while something shows the image, and are revoked when the last holder lets go. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryFolder } from '../../../src/core/data/folders.ts';
import type { LoadedDataset } from '../../../src/core/data/types.ts';
import { DatasetImageUrls } from '../../../src/studio/datasetImageUrls.ts';

function loadedWith(names: string[]) {
  const folder = memoryFolder('images', Object.fromEntries(names.map((name, i) => [`Images/${name}`, new Uint8Array([i])])));
  const dataset: LoadedDataset = {
    format: 'kaggle-csv',
    captionFile: 'captions.txt',
    images: names.map((name) => ({ name, split: null, captions: ['a caption'], captionLines: [2], file: `Images/${name}` })),
    imageFiles: names.map((name) => `Images/${name}`),
    rawCsvLines: null,
    problems: [],
  };
  return { folder, dataset };
}

let live: Set<string>;
let made: number;

beforeEach(() => {
  live = new Set();
  made = 0;
  vi.spyOn(URL, 'createObjectURL').mockImplementation(() => {
    const url = `blob:test/${++made}`;
    live.add(url);
    return url;
  });
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation((url: string) => {
    live.delete(url);
  });
});

afterEach(() => vi.restoreAllMocks());

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('DatasetImageUrls', () => {
  it('keeps a URL while it is held and revokes it when the last holder releases it', async () => {
    const urls = new DatasetImageUrls();
    const loaded = loadedWith(['a.jpg', 'b.jpg']);
    const first = urls.hold(loaded, 'a.jpg');
    const second = urls.hold(loaded, 'a.jpg');
    expect(await first.url).toBe(await second.url);
    expect(made).toBe(1);
    first.release();
    first.release(); // twice is once
    await settle();
    expect(live.size).toBe(1);
    second.release();
    await settle();
    expect(live.size).toBe(0);
    expect(urls.liveCount).toBe(0);
  });

  it('holds as many URLs as images shown, however many were shown before (a grid paged through 1000 images)', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `${i}.jpg`);
    const urls = new DatasetImageUrls();
    const loaded = loadedWith(names);
    let maxLive = 0;
    for (let page = 0; page < names.length; page += 24) {
      const shown = names.slice(page, page + 24).map((name) => urls.hold(loaded, name));
      await Promise.all(shown.map((held) => held.url));
      maxLive = Math.max(maxLive, live.size);
      for (const held of shown) held.release();
      await settle();
    }
    expect(made).toBe(1000);
    expect(maxLive).toBe(24);
    expect(live.size).toBe(0);
  });

  it('revokes everything when another dataset is loaded, and a late release of the old one does nothing', async () => {
    const urls = new DatasetImageUrls();
    const old = urls.hold(loadedWith(['a.jpg']), 'a.jpg');
    await old.url;
    const other = loadedWith(['a.jpg']);
    const fresh = urls.hold(other, 'a.jpg');
    await fresh.url;
    await settle();
    expect(live.size).toBe(1);
    old.release();
    await settle();
    expect(live.size).toBe(1);
    expect(urls.liveCount).toBe(1);
    fresh.release();
    await settle();
    expect(live.size).toBe(0);
  });

  it('gives null for an image the folder lacks', async () => {
    const urls = new DatasetImageUrls();
    expect(await urls.hold(loadedWith(['a.jpg']), 'ghost.jpg').url).toBeNull();
    expect(await urls.hold(null, 'a.jpg').url).toBeNull();
  });
});
