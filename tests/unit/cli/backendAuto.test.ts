/**
 * The CLI's defaults for the demo: `extract` on a folder written by `caption-studio demo` uses the committed
 * demo backbone (random weights only when asked for), and `extract`/`train` default to `--backend auto`, which
 * prints the calibration figures and the choice, and then runs on the backend it names. Which backend wins
 * depends on the machine, so only the form and the consistency are checked, never the speed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';
import { generateDemoDataset } from '../../../src/core/data/demo';
import { readFeatureFile } from '../../../src/engine/features/cacheNode';
import { makeCliFolder, recordingIo, removeCliFolder } from './fixture';

let dir: string;

describe('CLI defaults: demo backbone and --backend auto', () => {
  beforeAll(async () => {
    dir = await makeCliFolder('cs-cli-auto-');
    // A second demo folder of small pictures for extraction.
    for (const [path, content] of Object.entries(generateDemoDataset({ images: 12, seed: 5, imageSize: 32 }))) {
      await mkdir(dirname(join(dir, 'small', path)), { recursive: true });
      await writeFile(join(dir, 'small', path), content);
    }
  });
  afterAll(() => removeCliFolder(dir));

  it('extract: the demo folder gets the demo backbone, on the backend the calibration chose', async () => {
    const run = recordingIo(dir);
    expect(await main(['extract', 'small', '--out', 'small.features', '--json'], run.io)).toBe(0);
    const log = run.err.join('');
    expect(log).toContain('small is the demo dataset (demo.json): using the demo backbone');
    const line = /extract: backend: wasm \S+ images\/s(?: \([^)]*\))?, cpu \S+ images\/s(?: \([^)]*\))?: using (wasm|cpu); calibration [\d.]+ s/.exec(log);
    expect(line, log).not.toBeNull();
    expect(log).not.toContain('RANDOMLY');
    const summary = JSON.parse(run.out.join(''));
    expect(summary).toMatchObject({ backbone: 'demo', featureDim: 39, images: 12, backend: line![1] });
    expect(summary.weights.location).toMatch(/public\/models\/demo-backbone$/);
    expect((await readFeatureFile(join(dir, 'small.features'))).backbone).toBe('demo');
  });

  it('extract --weights random: random weights on purpose, labelled', async () => {
    const run = recordingIo(dir);
    expect(await main(['extract', 'small', '--weights', 'random', '--backend', 'wasm', '--out', 'random.features', '--json'], run.io)).toBe(0);
    expect(run.err.join('')).toContain('--weights random, so demo-cnn');
    expect(JSON.parse(run.out.join(''))).toMatchObject({ backbone: 'demo', weights: 'random', backend: 'wasm' });
  });

  it('train: --backend auto measures every backend, names a software adapter as such, trains on the choice; --samples prints captions', async () => {
    const run = recordingIo(dir);
    const code = await main(
      ['train', 'demo', '--features', 'features.bin', '--out', 'auto', '--epochs', '1', '--batch', '8', '--units', '16', '--embed', '8', '--val-sample', '0', '--samples', '2', '--json'],
      run.io,
    );
    const log = run.err.join('');
    expect(code, log).toBe(0);
    const line = /train: backend: (.*?): using (\w+)/.exec(log);
    expect(line, log).not.toBeNull();
    const [, figures, chosen] = line!;
    // Either figure may carry the small-probe note: which backend was faster depends on the machine's load then.
    expect(figures).toMatch(/^wasm \S+ tokens\/s( \(on a small probe[^)]*\))?, cpu \S+ tokens\/s/);
    // Dawn's adapter where it finds one (lavapipe here: a software emulation, never picked by auto).
    if (/webgpu \([^)]*, software\)/.test(figures)) expect(chosen).not.toBe('webgpu');
    expect(JSON.parse(run.out.join('')).backend).toBe(chosen);
    expect(log.match(/train: epoch 1 sample demo_\d+\.png: /g)).toHaveLength(2);
  });
});
