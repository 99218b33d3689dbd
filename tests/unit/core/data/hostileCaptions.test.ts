/**
 * A captions file of 200 MB of one line (issue 15.6), written to disk here: refused with one line naming the
 * file and line after reading just past the line bound, by the loader the CLI and the page share; the same
 * line reaches the CLI (exit 1) and the Dataset panel. A stray text file with such a line beside a real
 * captions.txt is passed over and the dataset loads.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../../src/core/errors.ts';
import { loadDataset, MAX_CAPTION_LINE_BYTES } from '../../../../src/core/data/load.ts';
import type { Folder } from '../../../../src/core/data/types.ts';
import { nodeFolder } from '../../../../src/engine/platform/nodeFolder.ts';
import { main } from '../../../../src/cli/main.ts';
import { recordingIo } from '../../cli/fixture.ts';
import { testStore } from '../../../support/studioStore.ts';

const LINE_BYTES = 200 * 2 ** 20;
let dir = '';
let strayDir = '';

async function writeOneLineFile(path: string, head: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(2 ** 20, 'a');
  out.write(head);
  for (let written = 0; written < bytes; written += chunk.length) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

function withImages(root: string): void {
  mkdirSync(join(root, 'Images'), { recursive: true });
  const png = encodePng({ width: 2, height: 2, data: new Uint8Array(12).fill(7), channels: 3 });
  writeFileSync(join(root, 'Images', 'a.png'), png);
  writeFileSync(join(root, 'Images', 'b.png'), png);
}

/** Counts the bytes the loader reads (instrumentation only: the folder is the real one on disk). */
function countingFolder(folder: Folder & { readRange?: (p: string, s: number, e: number) => Promise<Uint8Array> }) {
  const read = { bytes: 0 };
  const counted: Folder & { readRange(p: string, s: number, e: number): Promise<Uint8Array> } = {
    name: folder.name,
    list: () => folder.list(),
    read: async (path) => {
      const bytes = await folder.read(path);
      read.bytes += bytes.length;
      return bytes;
    },
    readRange: async (path, start, end) => {
      const bytes = await folder.readRange!(path, start, end);
      read.bytes += bytes.length;
      return bytes;
    },
  };
  return { folder: counted, read };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hostile-captions-'));
  withImages(dir);
  await writeOneLineFile(join(dir, 'captions.txt'), 'image,caption\na.png,', LINE_BYTES);
  strayDir = mkdtempSync(join(tmpdir(), 'stray-line-'));
  withImages(strayDir);
  writeFileSync(join(strayDir, 'captions.txt'), 'image,caption\na.png,A dog runs .\nb.png,A cat sits .\n');
  await writeOneLineFile(join(strayDir, 'notes.txt'), 'a.png,', 4 * 2 ** 20);
}, 120_000);

afterAll(() => {
  for (const d of [dir, strayDir]) if (d) rmSync(d, { recursive: true, force: true });
});

const refusal = new RegExp(
  `^captions\\.txt:2: line 2 runs past 64 KiB without a line break \\(the file is 200\\.0 MiB\\); a caption line is a few hundred bytes: this is not a caption file`,
);

describe('a captions file of 200 MB of one line', () => {
  it('is refused by the loader with file and line after reading about a megabyte, not 200 MB', async () => {
    expect(MAX_CAPTION_LINE_BYTES).toBe(64 * 1024);
    const { folder, read } = countingFolder(nodeFolder(dir));
    const error = await loadDataset(folder).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).message).toMatch(refusal);
    expect((error as DatasetError).message.split('\n')).toHaveLength(1);
    expect([(error as DatasetError).file, (error as DatasetError).line]).toEqual(['captions.txt', 2]);
    expect(read.bytes).toBeLessThanOrEqual(2 * 2 ** 20);
  });

  it('the CLI prints that one line and exits 1', async () => {
    const run = recordingIo(dir);
    expect(await main(['stats', dir], run.io)).toBe(1);
    const text = run.err.join('').trim();
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toMatch(/captions\.txt:2: line 2 runs past 64 KiB without a line break/);
  });

  it('the Dataset panel shows that one line', async () => {
    const { store } = testStore();
    await store.getState().loadFolder(nodeFolder(dir));
    expect(store.getState().datasetStatus).toBe('error');
    expect(store.getState().datasetError).toMatch(refusal);
  });

  it('a stray text file with such a line beside a real captions.txt is passed over', async () => {
    const loaded = await loadDataset(nodeFolder(strayDir));
    expect(loaded.captionFile).toBe('captions.txt');
    expect(loaded.images.map((image) => image.name)).toEqual(['a.png', 'b.png']);
  });
});
