/**
 * `caption-studio train --backend webgpu` in Node (Dawn; lavapipe here): headless GPU training with no
 * browser, in float32 on the fused kernels and in mixed_float16 from a loss scale that overflows in f16,
 * then --resume carrying the loss scaler on. Skips with the reason where Dawn finds no adapter.
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

const base = ['train', 'demo', '--features', 'features.bin', '--batch', '8', '--units', '16', '--embed', '16', '--val-sample', '0', '--backend', 'webgpu', '--json'];

describe.skipIf(skipUnlessPresent(gpu.skipReason || (gpu.engine?.shaderF16 ? '' : 'adapter has no shader-f16'), 'shader-f16'))(`train --backend webgpu in Node (${gpu.adapter || gpu.skipReason || 'no shader-f16'})`, () => {
  beforeAll(async () => {
    dir = await makeCliFolder('cs-gpu-cli-');
  });
  afterAll(async () => {
    gpu.engine?.assertNoErrors();
    await removeCliFolder(dir);
  });

  it('float32 on the fused kernels, and --kernels stock for comparison', async () => {
    for (const kernels of ['fused', 'stock']) {
      const run = io();
      expect(await main([...base, '--out', `f32-${kernels}`, '--epochs', '1', '--kernels', kernels], run.io)).toBe(0);
      const summary = JSON.parse(run.out.join(''));
      expect(summary).toMatchObject({ backend: 'webgpu', precision: 'float32', kernels: kernels === 'fused' ? 'fused WGSL f32' : 'stock tfjs ops', skippedSteps: 0, lossScale: null });
      expect(summary.finalLoss).toBeGreaterThan(0);
    }
  });

  it('mixed_float16 from 2^24: the overflowing steps are skipped and reported, the scale halves, --resume keeps the scaler', async () => {
    const run = io();
    const args = [...base, '--out', 'f16', '--precision', 'mixed_float16', '--loss-scale', String(2 ** 24)];
    expect(await main([...args, '--epochs', '1'], run.io)).toBe(0);
    const summary = JSON.parse(run.out.join(''));
    expect(summary).toMatchObject({ backend: 'webgpu', precision: 'mixed_float16', kernels: 'fused WGSL f16' });
    expect(summary.skippedSteps).toBeGreaterThan(0);
    expect(summary.lossScale).toBe(2 ** (24 - summary.skippedSteps));
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
    expect(run.err.join('')).toMatch(/step 1 skipped: non-finite gradient in f16; loss scale now 8388608/);
    const saved = JSON.parse(await readFile(join(dir, 'f16', 'trainer.json'), 'utf8'));
    expect(saved.lossScaler).toMatchObject({ scale: summary.lossScale, skippedSteps: summary.skippedSteps });

    const resumed = io();
    expect(await main([...args, '--epochs', '2', '--resume'], resumed.io)).toBe(0);
    const second = JSON.parse(resumed.out.join(''));
    // The resumed epoch starts from the saved scale, which no longer overflows: nothing more is skipped.
    expect(second).toMatchObject({ epochs: 2, skippedSteps: 0, lossScale: summary.lossScale });
  });
});
