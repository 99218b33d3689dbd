/**
 * A folder of broken files built here: every problem is named with its file (and line), nothing is thrown
 * while something is usable, and an unusable folder throws DatasetError saying what was looked for.
 * The same folder is loaded from memory and from a temporary directory on disk.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { DatasetError, isUserError } from '../../../../src/core/errors.ts';
import { memoryFolder } from '../../../../src/core/data/folders.ts';
import { loadDataset } from '../../../../src/core/data/load.ts';
import { nodeFolder } from '../../../../src/engine/platform/nodeFolder.ts';
import type { Folder, LoadedDataset } from '../../../../src/core/data/types.ts';

function tinyJpeg(): Uint8Array {
  const data = new Uint8Array(4 * 4 * 4).fill(200);
  return new Uint8Array(jpeg.encode({ data, width: 4, height: 4 }, 90).data);
}
function tinyPng(): Uint8Array {
  return encodePng({ width: 2, height: 2, data: new Uint8Array(2 * 2 * 3).fill(9), channels: 3, depth: 8 });
}

const CAPTIONS = [
  'image,caption', // 1
  'a.jpg,A dog runs .', // 2
  'a.jpg,A dog runs .', // 3 duplicate
  'b.jpg,   ', // 4 empty caption
  'garbage without any comma', // 5 unparsable
  'missing.jpg,A cat sleeps .', // 6 image not in the folder
  'c.jpg,"an unclosed quote', // 7 unparsable (quote never closed on its line)
  'd.jpg,A truncated photo .', // 8
  'e.jpg,An empty file .', // 9
  'f.jpg,Text pretending to be a photo .', // 10
  'g.png,"A png , with ""quotes"" ."', // 11
  '',
].join('\r\n');

function brokenFiles(prefix = ''): Record<string, Uint8Array | string> {
  const good = tinyJpeg();
  return {
    [`${prefix}captions.txt`]: `\ufeff${CAPTIONS}`,
    [`${prefix}Flickr_8k.trainImages.txt`]: 'a.jpg\nghost.jpg\n',
    [`${prefix}Images/a.jpg`]: good,
    [`${prefix}Images/d.jpg`]: good.subarray(0, Math.floor(good.length / 2)),
    [`${prefix}Images/e.jpg`]: new Uint8Array(0),
    [`${prefix}Images/f.jpg`]: 'hello, I am text',
    [`${prefix}Images/g.png`]: tinyPng(),
    [`${prefix}Images/h.jpg`]: good,
    [`${prefix}Images/notes.txt`]: 'not an image',
  };
}

/** [code, file, line] of each expected problem. */
const EXPECTED: [string, string, number | undefined][] = [
  ['duplicate-caption', 'captions.txt', 3],
  ['empty-caption', 'captions.txt', 4],
  ['unparsable-line', 'captions.txt', 5],
  ['image-missing', 'captions.txt', 6],
  ['unparsable-line', 'captions.txt', 7],
  ['image-truncated', 'Images/d.jpg', undefined],
  ['image-empty', 'Images/e.jpg', undefined],
  ['not-an-image', 'Images/f.jpg', undefined],
  ['not-an-image', 'Images/notes.txt', undefined],
  ['image-uncaptioned', 'Images/h.jpg', undefined],
  ['split-image-uncaptioned', 'Flickr_8k.trainImages.txt', 2],
];

function expectBrokenFolderReport(ds: LoadedDataset, prefix = ''): void {
  const got = ds.problems.map((p) => [p.code, p.file, p.line]).sort((a, b) => String(a).localeCompare(String(b)));
  const want = EXPECTED.map(([code, file, line]) => [code, prefix + file, line]).sort((a, b) =>
    String(a).localeCompare(String(b)),
  );
  expect(got).toEqual(want);
  for (const problem of ds.problems) expect(problem.message.length).toBeGreaterThan(10);
  expect(ds.captionFile).toBe(`${prefix}captions.txt`);
  // Usable: a.jpg and g.png have files; the broken images keep their captions but no file.
  const byName = new Map(ds.images.map((r) => [r.name, r]));
  expect(byName.get('a.jpg')).toMatchObject({ file: `${prefix}Images/a.jpg`, split: 'train', captionLines: [2, 3] });
  expect(byName.get('g.png')).toMatchObject({ file: `${prefix}Images/g.png`, captions: ['A png , with "quotes" .'] });
  expect(byName.get('d.jpg')?.file).toBeNull();
  expect(byName.get('missing.jpg')?.file).toBeNull();
  expect(byName.has('b.jpg')).toBe(false);
  expect(byName.has('c.jpg')).toBe(false);
  expect([...ds.imageFiles].sort()).toEqual([`${prefix}Images/a.jpg`, `${prefix}Images/g.png`, `${prefix}Images/h.jpg`]);
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function writeTree(files: Record<string, Uint8Array | string>): string {
  const root = mkdtempSync(join(tmpdir(), 'caption-data-'));
  tempDirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('a folder of broken files', () => {
  it('names every problem with file and line (in memory)', async () => {
    expectBrokenFolderReport(await loadDataset(memoryFolder('broken', brokenFiles())));
  });

  it('names every problem with file and line (on disk, via nodeFolder)', async () => {
    expectBrokenFolderReport(await loadDataset(nodeFolder(writeTree(brokenFiles()))));
  });

  it('finds the dataset one folder down when the user picked the parent', async () => {
    expectBrokenFolderReport(await loadDataset(memoryFolder('parent', brokenFiles('flickr8k/'))), 'flickr8k/');
  });

  it('reports token-file problems with their lines', async () => {
    const token = [
      'a.jpg#0\tA dog .',
      'a.jpg.1#1\tA dog again .', // 2: the real file's quirk
      'no tab and no key here', // 3
      'a.jpg#2\t', // 4: empty
      'a.jpg#3\tA dog .', // 5: duplicate of line 1
    ].join('\n');
    const ds = await loadDataset(memoryFolder('t', { 'Flickr8k.token.txt': token, 'a.jpg': tinyJpeg() }));
    expect(ds.problems.map((p) => [p.code, p.line])).toEqual([
      ['malformed-key', 2],
      ['unparsable-line', 3],
      ['empty-caption', 4],
      ['duplicate-caption', 5],
    ]);
    expect(ds.images).toHaveLength(1);
    expect(ds.images[0]).toMatchObject({ name: 'a.jpg', file: 'a.jpg', captionLines: [1, 2, 5] });
  });

  it('reports a folder without any image, but still loads the captions', async () => {
    const ds = await loadDataset(memoryFolder('c', { 'captions.txt': 'image,caption\na.jpg,A dog .\n' }));
    expect(ds.images).toHaveLength(1);
    expect(ds.problems.map((p) => p.code)).toEqual(['no-images']);
  });
});

describe('an unusable folder', () => {
  async function loadError(folder: Folder): Promise<DatasetError> {
    try {
      await loadDataset(folder);
    } catch (error) {
      expect(error).toBeInstanceOf(DatasetError);
      expect(isUserError(error)).toBe(true);
      return error as DatasetError;
    }
    throw new Error('expected loadDataset to throw');
  }

  it('with no caption file says which files it looked for', async () => {
    const error = await loadError(memoryFolder('photos', { 'Images/a.jpg': tinyJpeg(), 'notes.txt': 'hello' }));
    expect(error.message).toContain("'photos'");
    for (const name of ['captions.txt', 'Flickr8k.token.txt', 'dataset_flickr8k.json']) expect(error.message).toContain(name);
  });

  it('with a caption file holding no usable caption names the file and the first problem', async () => {
    const error = await loadError(memoryFolder('x', { 'captions.txt': 'image,caption\na.jpg,\nb.jpg, \n' }));
    expect(error.file).toBe('captions.txt');
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/no usable caption in captions\.txt.*line 2/);
  });

  it('with broken Karpathy JSON names the file and line', async () => {
    const error = await loadError(memoryFolder('k', { 'dataset_flickr8k.json': '{"images": [\n{"filename": "a.jpg", "sentences": [\n]]}' }));
    expect(error.file).toBe('dataset_flickr8k.json');
    expect(error.message).toContain('dataset_flickr8k.json is not valid JSON');
  });

  it('with a missing folder on disk', async () => {
    await expect(loadDataset(nodeFolder(join(tmpdir(), 'no-such-folder-for-caption-studio')))).rejects.toThrow(DatasetError);
  });
});
