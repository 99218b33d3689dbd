/**
 * `caption-studio train --replicas 2`: the MirroredTrainer with two Node worker-thread replicas (wasm) on a
 * tiny caption model. With dropout 0 it must train like the in-process run (same batches, same Adam), write
 * the same model folder (loaded by `caption`/`evaluate`, resumable), stop its workers on abort, and on a
 * replica fault name the replica, exit 4 and keep the last finished epoch.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCliFolder, recordingIo, removeCliFolder } from './fixture';
import { main } from '../../../src/cli/main';
import { train } from '../../../src/cli/commands/train';
import { TrackingSpawner } from '../engine/mirrored/fixtures';

const stepsPerEpoch = Math.ceil(28 / 8); // 28 train images, batch 8
let dir: string;

const io = (onErr?: (text: string) => void) => recordingIo(dir, onErr);

const common = ['demo', '--features', 'features.bin', '--backend', 'wasm', '--batch', '8', '--units', '16', '--embed', '8', '--dropout', '0', '--lr', '0.01', '--val-sample', '3', '--json'];

async function weightsOf(folder: string): Promise<Float32Array> {
  const bytes = await readFile(join(dir, folder, 'weights.bin'));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

async function trainerJson(folder: string): Promise<{ epoch: number; step: number; adamStep: number }> {
  return JSON.parse(await readFile(join(dir, folder, 'trainer.json'), 'utf8'));
}

describe('train --replicas 2 (worker threads, wasm)', () => {
  beforeAll(async () => {
    dir = await makeCliFolder('cs-cli-mirrored-');
  });
  afterAll(async () => {
    await removeCliFolder(dir);
  });

  it('trains like one replica and writes the same model folder', async () => {
    const single = io();
    expect(await main(['train', ...common, '--out', 'single', '--epochs', '2'], single.io)).toBe(0);
    const reference = JSON.parse(single.out.join(''));

    const spawner = new TrackingSpawner();
    const run = io();
    const code = await train([...common, '--out', 'mirrored', '--epochs', '2', '--replicas', '2'], run.io, undefined, { spawnReplica: spawner.spawn });
    const log = run.err.join('');
    expect(code, log).toBe(0);
    expect(log).toContain('2 replicas (worker threads, ids 0, 1) on wasm, ring all-reduce');
    expect(log).toContain('epoch 1/2');
    expect(log).toContain('epoch 2/2');
    expect(log).toContain('saved epoch 2');
    const summary = JSON.parse(run.out.join(''));
    expect(summary).toMatchObject({ backend: 'wasm', replicas: 2, epochs: 2, steps: 2 * stepsPerEpoch, precision: 'float32', kernels: 'stock tfjs ops', stopped: false });
    expect(summary.tokensPerSecond).toBeGreaterThan(0);
    expect(Math.abs(summary.finalLoss - reference.finalLoss)).toBeLessThan(1e-4);
    expect(Math.abs(summary.valLoss - reference.valLoss)).toBeLessThan(1e-4);
    expect(spawner.exited).toEqual([true, true]);

    expect((await readdir(join(dir, 'mirrored'))).sort()).toEqual((await readdir(join(dir, 'single'))).sort());
    expect(await trainerJson('mirrored')).toMatchObject({ epoch: 2, step: 2 * stepsPerEpoch, adamStep: 2 * stepsPerEpoch });
    const [a, b] = [await weightsOf('mirrored'), await weightsOf('single')];
    expect(a.length).toBe(b.length);
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
    expect(worst).toBeLessThan(1e-4);
    console.log(`train --replicas 2 vs 1: final loss ${summary.finalLoss} vs ${reference.finalLoss}, val loss ${summary.valLoss} vs ${reference.valLoss}, max |weight difference| ${worst.toExponential(2)}`);
    const modelJson = JSON.parse(await readFile(join(dir, 'mirrored', 'model.json'), 'utf8'));
    expect(modelJson.meta).toMatchObject({ epochsTrained: 2, protocol: 'standard', features: { backboneId: 'demo-attributes' } });

    const captioned = io();
    expect(await main(['caption', '--model', 'mirrored', '--features', 'features.bin', 'demo_0001.png'], captioned.io)).toBe(0);
    // A model this small may well decode an empty caption; the line is what matters here.
    expect(captioned.out.join('')).toMatch(/^demo_0001\.png\t.*\n$/);
    const evaluated = io();
    expect(await main(['evaluate', '--model', 'mirrored', 'demo', '--features', 'features.bin', '--json'], evaluated.io)).toBe(0);
    expect(JSON.parse(evaluated.out.join(''))).toMatchObject({ split: 'test', images: 6 });
  });

  it('--resume continues a mirrored folder (postMessage all-reduce)', async () => {
    const run = io();
    const code = await main(['train', ...common, '--out', 'mirrored', '--epochs', '3', '--replicas', '2', '--all-reduce', 'postMessage', '--resume'], run.io);
    expect(code, run.err.join('')).toBe(0);
    expect(run.err.join('')).toContain('postMessage all-reduce');
    expect(JSON.parse(run.out.join(''))).toMatchObject({ replicas: 2, epochs: 3, steps: stepsPerEpoch });
    expect(await trainerJson('mirrored')).toMatchObject({ epoch: 3, step: 3 * stepsPerEpoch, adamStep: 3 * stepsPerEpoch });

    // One folder format: an in-process run's folder goes on mirrored, and ends where the mirrored one did.
    const crossed = io();
    expect(await main(['train', ...common, '--out', 'single', '--epochs', '3', '--replicas', '2', '--resume'], crossed.io)).toBe(0);
    expect(JSON.parse(crossed.out.join(''))).toMatchObject({ replicas: 2, epochs: 3, steps: stepsPerEpoch });
    expect(await trainerJson('single')).toMatchObject({ epoch: 3, adamStep: 3 * stepsPerEpoch });
    const [a, b] = [await weightsOf('mirrored'), await weightsOf('single')];
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
    expect(worst).toBeLessThan(1e-4);
  });

  it('an abort stops the workers and keeps the last epoch', async () => {
    const spawner = new TrackingSpawner();
    const controller = new AbortController();
    const run = io((text) => {
      if (text.includes('saved epoch 1')) controller.abort();
    });
    const code = await train([...common, '--out', 'aborted', '--epochs', '5', '--replicas', '2'], run.io, controller.signal, { spawnReplica: spawner.spawn });
    expect(code, run.err.join('')).toBe(130);
    expect(run.err.join('')).toContain('holds epoch 1');
    expect(JSON.parse(run.out.join(''))).toMatchObject({ stopped: true, epochs: 1, replicas: 2 });
    expect(spawner.exited).toEqual([true, true]);
    expect(await trainerJson('aborted')).toMatchObject({ epoch: 1, step: stepsPerEpoch });
  });

  it('a replica fault names the replica, exits 4 and keeps the last checkpoint', async () => {
    const spawner = new TrackingSpawner();
    const run = io();
    const code = await train([...common, '--out', 'faulted', '--epochs', '3', '--replicas', '2'], run.io, undefined, {
      spawnReplica: spawner.spawn,
      faults: [{ replica: 1, fault: { step: stepsPerEpoch + 1, kind: 'exit' } }],
    });
    const log = run.err.join('');
    expect(code, log).toBe(4);
    expect(log).toMatch(/replica 1 failed: Replica 1 exited unexpectedly.*\(at step 6\)/);
    expect(log).toContain('holds epoch 1; add --resume to continue');
    expect(run.out.join('')).toBe('');
    expect(spawner.exited).toEqual([true, true]);
    expect(await trainerJson('faulted')).toMatchObject({ epoch: 1, step: stepsPerEpoch });
  });
});
