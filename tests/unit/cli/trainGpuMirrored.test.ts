/**
 * `caption-studio train --replicas 2 --backend webgpu --precision mixed_float16` in Node: two worker-thread
 * replicas, each with its own Dawn device (lavapipe here) and fused WGSL f16 kernels, from a loss scale that
 * overflows in f16. They must skip the same steps and end on the same scale and loss as the in-process run,
 * save the scaler in the model folder, and carry it on through --resume. Skips without a shader-f16 adapter.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCliFolder, recordingIo, removeCliFolder } from './fixture';
import { main } from '../../../src/cli/main';
import { setupGpu } from '../gpu/setup';
import { skipUnlessPresent } from '../../prerequisites.ts';

const gpu = await setupGpu();
let dir: string;

const io = () => recordingIo(dir);

const args = [
  'train', 'demo', '--features', 'features.bin', '--batch', '8', '--units', '16', '--embed', '16', '--val-sample', '0', '--dropout', '0',
  '--backend', 'webgpu', '--precision', 'mixed_float16', '--loss-scale', String(2 ** 24), '--json',
];

describe.skipIf(skipUnlessPresent(gpu.skipReason || (gpu.engine?.shaderF16 ? '' : 'adapter has no shader-f16'), 'shader-f16'))(`train --replicas 2 --backend webgpu --precision mixed_float16 (${gpu.adapter || gpu.skipReason || 'no shader-f16'})`, () => {
  beforeAll(async () => {
    dir = await makeCliFolder('cs-gpu-cli-mirrored-');
  });
  afterAll(async () => {
    gpu.engine?.assertNoErrors();
    await removeCliFolder(dir);
  });

  it('2 Dawn replicas skip and scale like the in-process run; --resume keeps the scaler', async () => {
    const single = io();
    expect(await main([...args, '--out', 'single', '--epochs', '1'], single.io)).toBe(0);
    const reference = JSON.parse(single.out.join(''));

    const run = io();
    const code = await main([...args, '--out', 'mirrored', '--epochs', '1', '--replicas', '2'], run.io);
    const log = run.err.join('');
    expect(code, log).toBe(0);
    expect(log).toContain('2 replicas (worker threads, ids 0, 1) on webgpu, ring all-reduce');
    expect(log).toMatch(/step 1 skipped: non-finite gradient in f16; loss scale now 8388608/);
    expect(log).not.toContain('WARNING: Replica');
    const summary = JSON.parse(run.out.join(''));
    expect(summary).toMatchObject({ backend: 'webgpu', replicas: 2, precision: 'mixed_float16', kernels: 'fused WGSL f16', epochs: 1 });
    expect(summary.skippedSteps).toBeGreaterThan(0);
    expect([summary.skippedSteps, summary.lossScale, summary.steps]).toEqual([reference.skippedSteps, reference.lossScale, reference.steps]);
    expect(Math.abs(summary.finalLoss - reference.finalLoss)).toBeLessThan(1e-4);
    const saved = JSON.parse(await readFile(join(dir, 'mirrored', 'trainer.json'), 'utf8'));
    expect(saved.lossScaler).toMatchObject({ scale: summary.lossScale, skippedSteps: summary.skippedSteps });
    console.log(`webgpu f16, 2 replicas vs in-process: ${summary.skippedSteps} skipped, scale ${summary.lossScale}, final loss ${summary.finalLoss} vs ${reference.finalLoss}`);

    const resumed = io();
    expect(await main([...args, '--out', 'mirrored', '--epochs', '2', '--replicas', '2', '--resume'], resumed.io)).toBe(0);
    // The resumed epoch starts from the saved scale, which no longer overflows: nothing more is skipped.
    const second = JSON.parse(resumed.out.join(''));
    expect(second).toMatchObject({ replicas: 2, epochs: 2, skippedSteps: 0, lossScale: summary.lossScale });
    // That epoch really trains (every step applied) and still matches the in-process run resumed alike.
    const singleResumed = io();
    expect(await main([...args, '--out', 'single', '--epochs', '2', '--resume'], singleResumed.io)).toBe(0);
    const referenceSecond = JSON.parse(singleResumed.out.join(''));
    expect(second.finalLoss).toBeLessThan(summary.finalLoss);
    expect(Math.abs(second.finalLoss - referenceSecond.finalLoss)).toBeLessThan(1e-4);
    console.log(`resumed epoch 2: final loss ${second.finalLoss} vs in-process ${referenceSecond.finalLoss}`);
  });
});
