/**
 * Dataset folders as people keep them: `Images` as a symbolic link to where the photos really are. The Node
 * folder reader follows linked folders and files (stats, train, evaluate through the CLI), reports a link back
 * to an ancestor once instead of walking it forever, and names a dangling link; a browser folder, which does not
 * hand linked folders over, says so instead of only "no image files".
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/main.ts';
import { generateDemoDataset } from '../../../../src/core/data/demo.ts';
import { memoryFolder } from '../../../../src/core/data/folders.ts';
import { loadDataset } from '../../../../src/core/data/load.ts';
import { nodeFolder } from '../../../../src/engine/platform/nodeFolder.ts';
import type { Folder } from '../../../../src/core/data/types.ts';
import { cliDemo, makeCliFolder, recordingIo, removeCliFolder } from '../../cli/fixture.ts';

let work: string;
const demo = generateDemoDataset({ images: 12, seed: 5 });

/** The demo dataset split in two: captions and split files in `dataset/`, the images in `photos/`. */
async function writeSplitDataset(root: string): Promise<void> {
  for (const [path, content] of Object.entries(demo)) {
    const target = path.startsWith('Images/') ? join(root, 'photos', path.slice('Images/'.length)) : join(root, 'dataset', path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'symlinks-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a dataset folder whose Images is a symbolic link', () => {
  it('is read through the link: every image found, no warnings', async () => {
    const root = join(work, 'linked');
    await writeSplitDataset(root);
    await symlink(join(root, 'photos'), join(root, 'dataset', 'Images'), 'dir');
    const loaded = await loadDataset(nodeFolder(join(root, 'dataset')));
    expect(loaded.imageFiles).toHaveLength(12);
    expect(loaded.images.every((record) => record.file !== null)).toBe(true);
    expect(loaded.problems).toEqual([]);
  });

  it('a link back to an ancestor is reported once and not walked; a dangling link is named', async () => {
    const root = join(work, 'loops');
    await writeSplitDataset(root);
    await symlink(join(root, 'photos'), join(root, 'dataset', 'Images'), 'dir');
    await symlink(join(root, 'dataset'), join(root, 'photos', 'back-to-dataset'), 'dir');
    await symlink(join(root, 'nowhere.png'), join(root, 'dataset', 'Images', 'gone.png'));
    const folder = nodeFolder(join(root, 'dataset'));
    const loaded = await loadDataset(folder);
    expect(loaded.imageFiles).toHaveLength(12);
    const listing = loaded.problems.filter((p) => p.code.startsWith('link-'));
    expect(listing).toEqual([
      { file: 'Images/back-to-dataset', code: 'link-loop', message: expect.stringContaining('Images/back-to-dataset is a symbolic link to a folder that contains it') },
      { file: 'Images/gone.png', code: 'link-dangling', message: 'Images/gone.png is a symbolic link to something that does not exist; skipped' },
    ]);
  });

  it('stats, train and evaluate in the CLI work on it', async () => {
    const dir = await makeCliFolder('symlinks-cli-');
    try {
      // The CLI fixture's dataset with its images moved elsewhere and linked back as Images.
      await mkdir(join(dir, 'linked'));
      await symlink(join(dir, 'demo', 'Images'), join(dir, 'linked', 'Images'), 'dir');
      for (const name of Object.keys(generateDemoDataset(cliDemo)).filter((path) => !path.startsWith('Images/'))) {
        await symlink(join(dir, 'demo', name), join(dir, 'linked', name));
      }
      const stats = recordingIo(dir);
      expect(await main(['stats', 'linked', '--json'], stats.io)).toBe(0);
      expect(JSON.parse(stats.out.join(''))).toMatchObject({ images: cliDemo.images, warnings: [] });
      const train = recordingIo(dir);
      const args = ['--features', 'features.bin', '--epochs', '1', '--batch', '8', '--units', '8', '--embed', '8', '--val-sample', '0', '--backend', 'cpu'];
      expect(await main(['train', 'linked', ...args, '--out', 'model'], train.io)).toBe(0);
      const evaluate = recordingIo(dir);
      expect(await main(['evaluate', '--model', 'model', 'linked', '--features', 'features.bin', '--json'], evaluate.io)).toBe(0);
      expect(JSON.parse(evaluate.out.join('')).images).toBeGreaterThan(0);
    } finally {
      await removeCliFolder(dir);
    }
  });
});

describe('a browser folder, which does not hand linked folders over', () => {
  it('with captions but no images says that links are not followed and what to do', async () => {
    const picked: Folder = { ...memoryFolder('flickr8k', { 'captions.txt': demo['captions.txt'] }), followsLinks: false };
    const loaded = await loadDataset(picked);
    const why = loaded.problems.find((p) => p.code === 'links-not-followed');
    expect(why?.message).toContain('the browser does not follow it. Pick the images folder itself together with the caption file, or use a real copy');
    expect(loaded.problems.map((p) => p.code)).toContain('no-images');
  });

  it('a Node folder, which follows links, has no such warning', async () => {
    const root = join(work, 'captions-only');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'captions.txt'), demo['captions.txt']);
    const loaded = await loadDataset(nodeFolder(root));
    expect(loaded.problems.map((p) => p.code)).toEqual(['no-images']);
  });
});
