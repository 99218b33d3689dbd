/**
 * The exported run trained by PyTorch DDP computes what the studio computes: from the same seeded initial
 * weights with dropout 0, the per-step losses of one epoch on demo features agree with the studio's
 * in-process trainer (wasm, float32) within 1e-4 relative, with 1 rank, with 2 ranks (env:// contract, as
 * torchrun starts them) and across --resume with the script's own --nproc 2; and the checkpoint imported
 * back gives the same greedy captions as the studio's own run of that epoch.
 * The global batch (3 images of 28) leaves the last step one image, so with 2 ranks one rank has none
 * there (it still joins the all-reduce with zero gradients).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { loadDataset } from '../../src/core/data/load';
import { nodeFolder } from '../../src/core/data/nodeFolder';
import { buildCorpus } from '../../src/core/text/protocols';
import { buildCaptionDataset, type CaptionDataset } from '../../src/engine/captionData';
import { readFeatureFile } from '../../src/engine/featureCacheNode';
import { InProcessTrainer } from '../../src/engine/inProcessTrainer';
import { defaultTrainConfig } from '../../src/engine/trainer';
import { skipUnlessPresent } from '../prerequisites';
import { makeCliFolder, recordingIo, removeCliFolder } from './cliFixture';
import { records, runNproc, runRanks, runSingle, stepLosses, torchMissing } from './scaleOutFixture';

const settings = { epochs: 2, batch: 3, units: 16, embed: 8, seed: 5, lr: 0.03 };
const exportArgs = ['--epochs', String(settings.epochs), '--batch', String(settings.batch), '--units', String(settings.units), '--embed', String(settings.embed)];
const seedArgs = ['--seed', String(settings.seed), '--lr', String(settings.lr), '--dropout', '0'];

let dir: string;
let data: CaptionDataset;
/** The studio's in-process trainer, 2 epochs: step losses per epoch. */
let studio: number[][];

function relativeError(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));
}

describe.skipIf(skipUnlessPresent(torchMissing, 'python3 with torch'))('export-run → train_ddp.py (PyTorch DDP) → import-run', () => {
  beforeAll(async () => {
    dir = await makeCliFolder('cs-ddp-');
    const run = recordingIo(dir);
    expect(await main(['export-run', 'demo', '--features', 'features.bin', '--out', 'run', ...exportArgs, ...seedArgs], run.io), run.err.join('')).toBe(0);

    await tf.setBackend('wasm');
    const features = await readFeatureFile(join(dir, 'features.bin'));
    data = buildCaptionDataset(buildCorpus(await loadDataset(nodeFolder(join(dir, 'demo'))), 'standard'), features.features);
    const trainer = new InProcessTrainer({
      data,
      config: { ...defaultTrainConfig, epochs: settings.epochs, batchSize: settings.batch, learningRate: settings.lr, dropout: 0, seed: settings.seed, validationSample: 0, fusedKernels: false },
      model: { units: settings.units, embedDim: settings.embed },
    });
    studio = [[], []];
    trainer.on((e) => e.type === 'stepCompleted' && studio[e.epoch - 1].push(e.loss));
    await trainer.start();
    await trainer.dispose();
  }, 120_000);
  afterAll(async () => {
    await removeCliFolder(dir);
  });

  let oneRank: string;
  let twoRanks: string;

  it('1 rank (plain python3 train_ddp.py) gives the studio in-process losses of the first epoch within 1e-4 relative', async () => {
    const result = await runSingle('run/train_ddp.py', ['--epochs', '1', '--out', 'ck1', '--log', '-'], dir);
    expect(result.code, result.stderr).toBe(0);
    oneRank = result.stdout;
    const losses = stepLosses(oneRank);
    expect(losses).toHaveLength(Math.ceil(data.train.length / settings.batch));
    expect(relativeError(losses, studio[0])).toBeLessThan(1e-4);
    const start = records(oneRank)[0];
    expect(start).toMatchObject({ event: 'start', worldSize: 1, precision: 'float32', device: 'cpu' });
  }, 120_000);

  it('2 ranks (env:// as torchrun starts them, gloo) give the same losses as 1 rank and as the studio; checkpoint and log in the run folder', async () => {
    const results = await runRanks('run/train_ddp.py', ['--epochs', '1'], dir, 2);
    results.forEach((r) => expect(r.code, r.stderr).toBe(0));
    twoRanks = results[0].stdout;
    expect(results[1].stdout).toBe(''); // only rank 0 logs
    const losses = stepLosses(twoRanks);
    expect(relativeError(losses, stepLosses(oneRank))).toBeLessThan(1e-5);
    expect(relativeError(losses, studio[0])).toBeLessThan(1e-4);
    const lines = records(twoRanks);
    expect(lines[0]).toMatchObject({ event: 'start', worldSize: 2, backend: 'gloo' });
    const steps = lines.filter((r) => r.event === 'step');
    expect(steps.every((s) => s.worldSize === 2 && (s.tokensPerSecond as number) > 0 && (s.tokens as number) > 0)).toBe(true);
    expect(lines.find((r) => r.event === 'epoch')).toMatchObject({ epoch: 1, worldSize: 2 });
    // rank 0 also appended them to the run's log file
    expect(await readFile(join(dir, 'run', 'train_log.jsonl'), 'utf8')).toBe(twoRanks);
  }, 120_000);

  it('--resume with --nproc 2 continues the 1-rank checkpoint: epoch 2 matches the studio too', async () => {
    const result = await runNproc('run/train_ddp.py', ['--out', 'ck1', '--log', '-', '--resume'], dir, 2);
    expect(result.code, result.stderr).toBe(0);
    const lines = records(result.stdout);
    expect(lines[0]).toMatchObject({ event: 'start', worldSize: 2, startEpoch: 1 });
    expect(relativeError(stepLosses(result.stdout), studio[1])).toBeLessThan(1e-4);
  }, 120_000);

  it('the imported checkpoint captions the test images as the studio run of the same epoch does', async () => {
    const io = () => recordingIo(dir);
    const imported = io();
    expect(await main(['import-run', 'run', '--out', 'from-torch', '--epoch', '1', '--json'], imported.io), imported.err.join('')).toBe(0);
    expect(JSON.parse(imported.out.join(''))).toMatchObject({ epoch: 1, worldSize: 2, log: { replicas: 2, steps: Math.ceil(data.train.length / settings.batch) } });
    const trained = io();
    expect(
      await main(['train', 'demo', '--features', 'features.bin', '--out', 'studio', ...exportArgs.slice(2), '--epochs', '1', ...seedArgs, '--val-sample', '0', '--json'], trained.io),
      trained.err.join(''),
    ).toBe(0);
    const names = data.test.map((e) => e.name);
    const captions = async (model: string) => {
      const run = io();
      expect(await main(['caption', '--model', model, '--features', 'features.bin', '--json', ...names], run.io), run.err.join('')).toBe(0);
      return run.out.join('').trim().split('\n').map((l) => JSON.parse(l) as { image: string; caption: string; logProb: number });
    };
    const ours = await captions('studio');
    const theirs = await captions('from-torch');
    expect(theirs.map((c) => c.caption)).toEqual(ours.map((c) => c.caption));
    theirs.forEach((c, i) => expect(c.logProb).toBeCloseTo(ours[i].logProb, 3));
  }, 180_000);
});
