/**
 * Scale-out benchmark: the same exported run trained by the studio's CLI (`train`, 1 and 2 mirrored
 * replicas, wasm) and by train_ddp.py (PyTorch DDP on CPU, 1 process and --nproc 2), rounds interleaving
 * the rows so a noisy shared machine hits them alike. tokens/s = real target tokens / summed step time, the
 * same definition on both sides (the CLI's summary; train_ddp.py's step lines).
 *
 *   npx tsx tests/bench/scaleOut.bench.ts [--images 320] [--rounds 2] [--batch 32] [--python /usr/bin/python3]
 *
 * Data: the first --images training images of ../shared/datasets/flickr8k (real captions, standard
 * protocol) plus 16 val and 16 test images, with seeded synthetic 256-d features (no CNN run); the
 * notebook's model sizes (units 256, embedding 256). Without ../shared it uses the generated demo dataset.
 * Not collected by `vitest run`.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDemoDataset } from '../../src/core/data/demo';
import { mulberry32, normal } from '../../src/core/rng';
import { encodeHeader, encodeRecords, makeHeader } from '../../src/engine/features/cache';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '320' },
    rounds: { type: 'string', default: '2' },
    batch: { type: 'string', default: '32' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const repo = resolve(import.meta.dirname, '../..');
const shared = resolve(repo, '../shared/datasets/flickr8k');
const featureDim = 256;

function exec(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** A Flickr8K-style folder with the first `train` training images (and 16 val, 16 test) of the shared set. */
async function datasetFolder(dir: string, train: number): Promise<string[]> {
  const out = join(dir, 'data');
  await mkdir(out, { recursive: true });
  try {
    const list = async (name: string, count: number) => (await readFile(join(shared, name), 'utf8')).split('\n').filter(Boolean).slice(0, count);
    const splits = {
      'Flickr_8k.trainImages.txt': await list('Flickr_8k.trainImages.txt', train),
      'Flickr_8k.devImages.txt': await list('Flickr_8k.devImages.txt', 16),
      'Flickr_8k.testImages.txt': await list('Flickr_8k.testImages.txt', 16),
    };
    const keep = new Set(Object.values(splits).flat());
    const tokens = (await readFile(join(shared, 'Flickr8k.token.txt'), 'utf8')).split('\n').filter((l) => keep.has(l.split('#')[0]));
    await writeFile(join(out, 'Flickr8k.token.txt'), `${tokens.join('\n')}\n`);
    for (const [name, images] of Object.entries(splits)) await writeFile(join(out, name), `${images.join('\n')}\n`);
    console.log(`data: ${keep.size} images of ../shared/datasets/flickr8k (${train} train), real captions`);
    return [...keep];
  } catch {
    const files = generateDemoDataset({ images: train + 32, seed: 1 });
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(out, path)), { recursive: true });
      await writeFile(join(out, path), content);
    }
    console.log(`data: the generated demo dataset (${train + 32} images; ../shared absent)`);
    return Object.keys(files).filter((p) => p.startsWith('Images/')).map((p) => p.slice('Images/'.length));
  }
}

async function main() {
  const dir = await mkdtemp(join(os.tmpdir(), 'cs-scaleout-bench-'));
  try {
    const names = await datasetFolder(dir, Number(values.images));
    const rand = mulberry32(17);
    const header = makeHeader({ backbone: 'mobilenet', backboneId: 'synthetic', weights: 'random', weightsId: 'random:17', featureDim, inputSize: 224 });
    const records = names.map((name) => ({ name, sha256: '00'.repeat(32), features: Float32Array.from({ length: featureDim }, () => Math.max(0, normal(rand))) }));
    await writeFile(join(dir, 'features.bin'), Buffer.concat([encodeHeader(header), encodeRecords(records, featureDim)]));
    const cli = join(repo, 'src/cli/caption-studio.mjs');
    const common = ['--epochs', '1', '--batch', values.batch!, '--units', '256', '--embed', '256'];
    const exported = await exec('node', [cli, 'export-run', 'data', '--features', 'features.bin', '--out', 'run', ...common, '--json'], dir);
    if (exported.code !== 0) throw new Error(exported.stderr);
    const run = JSON.parse(exported.stdout);
    console.log(`run: vocabulary ${run.vocabSize}, ${run.train} train images, batch ${values.batch}, 1 epoch; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    const studio = (replicas: number) => async () => {
      const r = await exec('node', [cli, 'train', 'data', '--features', 'features.bin', '--out', `studio-${replicas}`, ...common, '--replicas', String(replicas), '--val-sample', '0', '--json'], dir);
      if (r.code !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout).tokensPerSecond as number;
    };
    const torch = (ranks: number, threads?: number) => async () => {
      const args = [join(dir, 'run', 'train_ddp.py'), '--log', '-', '--out', join(dir, `ck-${ranks}-${threads ?? 'auto'}`), ...(threads ? ['--threads', String(threads)] : []), ...(ranks > 1 ? ['--nproc', String(ranks)] : [])];
      const r = await exec(values.python!, args, dir);
      if (r.code !== 0) throw new Error(r.stderr);
      const steps = r.stdout.split('\n').filter((l) => l.includes('"event": "step"')).map((l) => JSON.parse(l));
      return steps.reduce((n, s) => n + s.tokens, 0) / (steps.reduce((n, s) => n + s.durationMs, 0) / 1000);
    };
    const rows: [string, () => Promise<number>][] = [
      ['studio CLI train, 1 replica (wasm, one thread)', studio(1)],
      ['train_ddp.py, 1 process, 1 thread', torch(1, 1)],
      ['studio CLI train, 2 replicas (wasm worker threads, ring all-reduce)', studio(2)],
      ['train_ddp.py, --nproc 2 (gloo), 1 thread each', torch(2)],
      ['train_ddp.py, 1 process, 2 threads', torch(1, 2)],
    ];
    const results = rows.map(() => [] as number[]);
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const [i, [label, measure]] of rows.entries()) {
        const rate = await measure();
        results[i].push(rate);
        console.log(`round ${round + 1}: ${label}: ${rate.toFixed(0)} tokens/s (load ${os.loadavg()[0].toFixed(1)})`);
      }
    }
    const median = (v: number[]) => {
      const s = [...v].sort((a, b) => a - b);
      return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const base = median(results[0]);
    console.log('\n| run | tokens/s (median of rounds) | all rounds | vs studio 1 replica |\n|---|---:|---|---:|');
    rows.forEach(([label], i) => console.log(`| ${label} | ${median(results[i]).toFixed(0)} | ${results[i].map((r) => r.toFixed(0)).join(', ')} | ${(median(results[i]) / base).toFixed(2)}× |`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
