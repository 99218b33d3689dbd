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
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/main';
import { loadDataset } from '../../../../src/core/data/load';
import { nodeFolder } from '../../../../src/engine/platform/nodeFolder';
import { buildCorpus } from '../../../../src/core/text/protocols';
import { buildCaptionDataset, type CaptionDataset } from '../../../../src/engine/training/captionData';
import { readFeatureFile } from '../../../../src/engine/features/cacheNode';
import { InProcessTrainer } from '../../../../src/engine/training/inProcessTrainer';
import { defaultTrainConfig } from '../../../../src/protocol/training';
import { skipUnlessPresent } from '../../../prerequisites';
import { makeCliFolder, recordingIo, removeCliFolder } from '../../cli/fixture';
import { records, runNproc, runRanks, runSingle, stepLosses, torchMissing } from './fixture';

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
  it('prefix layout (the notebook\'s samples) matches too; mixed_float16 on CPU runs as bfloat16 autocast and says so', async () => {
    const exported = recordingIo(dir);
    expect(await main(['export-run', 'demo', '--features', 'features.bin', '--out', 'run-prefix', ...exportArgs, ...seedArgs, '--layout', 'prefix', '--epochs', '1'], exported.io)).toBe(0);
    const trainer = new InProcessTrainer({
      data,
      config: { ...defaultTrainConfig, epochs: 1, batchSize: settings.batch, learningRate: settings.lr, dropout: 0, seed: settings.seed, layout: 'prefix', validationSample: 0, fusedKernels: false },
      model: { units: settings.units, embedDim: settings.embed },
    });
    const prefix: number[] = [];
    trainer.on((e) => e.type === 'stepCompleted' && prefix.push(e.loss));
    await trainer.start();
    await trainer.dispose();
    const f32 = await runSingle('run-prefix/train_ddp.py', ['--log', '-'], dir);
    expect(f32.code, f32.stderr).toBe(0);
    expect(relativeError(stepLosses(f32.stdout), prefix)).toBeLessThan(1e-4);
    const bf16 = await runSingle('run-prefix/train_ddp.py', ['--log', '-', '--out', 'ck-bf16', '--precision', 'mixed_float16'], dir);
    expect(bf16.code, bf16.stderr).toBe(0);
    expect(records(bf16.stdout)[0].precision).toBe('mixed_float16 (autocast bfloat16 on CPU)');
    // bfloat16 keeps 8 bits of mantissa: close to float32, not equal
    const error = relativeError(stepLosses(bf16.stdout), prefix);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(2e-2);
  }, 180_000);

  it('train_ddp.py: an incomplete or foreign run folder and a foreign checkpoint are one line naming the file, exit 1', async () => {
    await cp(join(dir, 'run'), join(dir, 'run-broken'), { recursive: true });
    await rm(join(dir, 'run-broken', 'features.npy'));
    const incomplete = await runSingle('run-broken/train_ddp.py', ['--log', '-'], dir);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr.trim()).toMatch(/^train_ddp\.py: \S*run-broken\/features\.npy: missing \(run\.json lists it\): the export is incomplete$/);
    const foreign = await runSingle('run/train_ddp.py', ['--run', 'demo', '--log', '-'], dir);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr.trim()).toMatch(/^train_ddp\.py: \S*demo: no run\.json here/);
    await cp(join(dir, 'ck1'), join(dir, 'ck-foreign'), { recursive: true });
    const state = join(dir, 'ck-foreign', 'epoch_0002', 'state.json');
    await writeFile(state, (await readFile(state, 'utf8')).replace(/"runId": "[0-9a-f]+"/, '"runId": "0000000000000000"'));
    const resumed = await runSingle('run/train_ddp.py', ['--out', 'ck-foreign', '--resume', '--epochs', '3', '--log', '-'], dir);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr.trim()).toMatch(/^train_ddp\.py: \S*ck-foreign\/epoch_0002\/state\.json: a checkpoint of run 0000000000000000, this run is [0-9a-f]{16}$/);
  }, 120_000);
});
