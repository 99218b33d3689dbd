/**
 * The folder the train CLI tests work in: the demo dataset (40 images) and a feature file of 16-d demo
 * attribute features, in a fresh temporary directory; plus an io that records stdout and stderr.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateDemoDataset, generateDemoScenes } from '../../../src/core/data/demo';
import { demoSceneFeatures } from '../../support/demoFeatures';
import { encodeHeader, encodeRecords, makeHeader } from '../../../src/engine/features/cache';

export const cliDemo = { images: 40, seed: 9 };

/** Writes `demo/` (the dataset) and `features.bin` into a new temporary folder and returns its path. */
export async function makeCliFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  for (const [path, content] of Object.entries(generateDemoDataset(cliDemo))) {
    await mkdir(dirname(join(dir, 'demo', path)), { recursive: true });
    await writeFile(join(dir, 'demo', path), content);
  }
  const features = demoSceneFeatures(generateDemoScenes(cliDemo), 16);
  const header = makeHeader({ backbone: 'mobilenet', backboneId: 'demo-attributes', weights: 'random', weightsId: 'random:0', featureDim: 16, inputSize: 224 });
  const records = encodeRecords([...features].map(([name, v]) => ({ name, sha256: '00'.repeat(32), features: v })), 16);
  await writeFile(join(dir, 'features.bin'), Buffer.concat([encodeHeader(header), records]));
  return dir;
}

export function removeCliFolder(dir: string | undefined): Promise<void> {
  return dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();
}

/** An io for `main`/command calls in `cwd` that keeps what was written; `onErr` sees stderr as it comes. */
export function recordingIo(cwd: string, onErr?: (text: string) => void) {
  const out: string[] = [];
  const err: string[] = [];
  const pushErr = (t: string) => {
    err.push(t);
    onErr?.(t);
  };
  return { io: { out: (t: string) => void out.push(t), err: pushErr, cwd }, out, err };
}
