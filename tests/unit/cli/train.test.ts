import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCliFolder, recordingIo, removeCliFolder } from './fixture';
import { main } from '../../../src/cli/main';

let dir: string;

const io = () => recordingIo(dir);

describe('train / caption / evaluate / info commands', () => {
  beforeAll(async () => {
    dir = await makeCliFolder('cs-cli-');
  });
  afterAll(async () => {
    await removeCliFolder(dir);
  });

  it('train --json prints the summary and writes the model folder', async () => {
    const run = io();
    const code = await main(
      ['train', 'demo', '--features', 'features.bin', '--backend', 'wasm', '--out', 'model', '--epochs', '2', '--batch', '8', '--units', '16', '--embed', '8', '--val-sample', '3', '--layout', 'prefix', '--json'],
      run.io,
    );
    expect(run.err.join('')).toContain('epoch 2/2');
    expect(code).toBe(0);
    const summary = JSON.parse(run.out.join(''));
    expect(summary).toMatchObject({ backend: 'wasm', layout: 'prefix', steps: 2 * Math.ceil(28 / 8), precision: 'float32', replicas: 1 });
    expect(summary.tokensPerSecond).toBeGreaterThan(0);
    expect(summary.finalLoss).toBeGreaterThan(0);
    expect(Object.keys(summary.bleu)).toEqual(['bleu1', 'bleu2', 'bleu3', 'bleu4']);
    expect((await readdir(join(dir, 'model'))).sort()).toContain('tokenizer.json');
  });

  it('train --resume continues from the saved epoch', async () => {
    const run = io();
    const code = await main(['train', 'demo', '--features', 'features.bin', '--backend', 'wasm', '--out', 'model', '--epochs', '3', '--batch', '8', '--units', '16', '--embed', '8', '--val-sample', '0', '--layout', 'prefix', '--resume', '--json'], run.io);
    expect(code).toBe(0);
    expect(JSON.parse(run.out.join(''))).toMatchObject({ epochs: 3, steps: Math.ceil(28 / 8) });
  });

  it('caption writes one caption per image; evaluate prints BLEU', async () => {
    const run = io();
    const code = await main(['caption', '--model', 'model', '--features', 'features.bin', '--beam', '2', 'demo_0001.png', 'demo_0002.png'], run.io);
    expect(run.err.join('')).toBe('');
    expect(code).toBe(0);
    const lines = run.out.join('').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^demo_0001\.png\t/);
    const ev = io();
    expect(await main(['evaluate', '--model', 'model', 'demo', '--features', 'features.bin', '--json'], ev.io)).toBe(0);
    const score = JSON.parse(ev.out.join(''));
    expect(score).toMatchObject({ split: 'test', protocol: 'standard', images: 6 });
    expect(score.bleu.bleu1).toBeGreaterThanOrEqual(0);
  });

  it('a missing feature file and a bad model folder are clear user errors', async () => {
    const a = io();
    expect(await main(['train', 'demo', '--features', 'nope.bin', '--out', 'm2'], a.io)).toBe(1);
    expect(a.err.join('')).toMatch(/nope\.bin/);
    const b = io();
    expect(await main(['caption', '--model', 'demo', '--features', 'features.bin', 'x.png'], b.io)).toBe(1);
    expect(b.err.join('')).toMatch(/no model\.json/);
  });

  it('info --json lists wasm and cpu', async () => {
    const run = io();
    expect(await main(['info', '--json'], run.io)).toBe(0);
    const summary = JSON.parse(run.out.join(''));
    expect(summary.backends.map((b: { name: string }) => b.name)).toEqual(['wasm', 'cpu', 'webgpu']);
    expect(summary.backends[0].available).toBe(true);
  });
});
