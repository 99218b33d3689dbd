import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract, type ExtractSummary } from '../../../src/cli/commands/extract.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { generateDemoDataset } from '../../../src/core/data/demo.ts';
import { UserError } from '../../../src/core/errors.ts';
import { readFeatureFile } from '../../../src/engine/features/cacheNode.ts';
import { sharedDir } from '../../paths';
import { skipUnlessPresent } from '../../prerequisites.ts';

const shared = sharedDir;
const flickrDir = join(shared, 'datasets', 'flickr8k');
const modelDir = join(shared, 'models', 'mobilenet_v1_0.25_224');
const haveShared = existsSync(join(flickrDir, 'Images')) && existsSync(join(modelDir, 'model.json'));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'extract-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function captureIo(onErr?: (text: string) => void): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    cwd: dir,
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => {
      io.stderr += text;
      onErr?.(text);
    },
  };
  return io;
}

async function writeFolder(root: string, files: Record<string, Uint8Array | string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

describe.skipIf(skipUnlessPresent(haveShared ? '' : `${flickrDir}/Images or ${modelDir} is absent (needs ../shared)`, '../shared Flickr8K images and MobileNet weights'))('extract on the 100 real Flickr8K JPEGs with MobileNet 0.25', () => {
  it('writes 256-d features of every image, and an interrupted run resumes with only the rest', async () => {
    // Counted from here: the file shares its test process with others (vite.config.ts, project 'node').
    const tensorsBefore = tf.memory().numTensors;
    const out = join(dir, 'flickr.features');
    const args = [flickrDir, '--backbone', 'mobilenet', '--weights', modelDir, '--out', out, '--batch', '25', '--backend', 'wasm', '--json'];
    const controller = new AbortController();
    // Stop as soon as the first batch is reported.
    const first = captureIo((text) => {
      if (/^extract: \d+\/100/.test(text)) controller.abort();
    });
    expect(await extract(args, first, controller.signal)).toBe(130);
    expect(first.stderr).toContain('Run the same command again to resume');
    expect((await readFeatureFile(out)).features.size).toBe(25);

    const second = captureIo();
    expect(await extract(args, second)).toBe(0);
    expect(second.stderr).toContain('resuming');
    const summary = JSON.parse(second.stdout) as ExtractSummary;
    expect(summary).toMatchObject({ images: 100, computed: 75, cached: 25, skipped: [], featureDim: 256, backboneId: 'mobilenet_v1_0.25_224' });
    expect(summary.missingImages).toBe(7991);
    expect(summary.weights).toEqual({ kind: 'path', location: modelDir });

    const file = await readFeatureFile(out);
    expect(file.features.size).toBe(100);
    expect(file.featureDim).toBe(256);
    expect(file.backbone).toBe('mobilenet');
    const vector = file.features.get('1056338697_4f7d7ce270.jpg') ?? [...file.features.values()][0];
    expect(vector.length).toBe(256);
    expect(Math.min(...vector)).toBeGreaterThanOrEqual(0);
    // Different photos give different features.
    const [a, b] = [...file.features.values()];
    expect(a.some((v, i) => Math.abs(v - b[i]) > 1e-3)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('explains weights that do not fit the asked backbone, naming the layer', async () => {
    const base = [flickrDir, '--backbone', 'mobilenet', '--out', join(dir, 'wrong.features')];
    const wrong = await extract([...base, '--weights', modelDir, '--alpha', '0.5'], captureIo()).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(UserError);
    expect((wrong as Error).message).toContain('layer conv1: weight conv1/kernel has shape [3,3,3,8], expected [3,3,3,16]');
  });
});

describe('extract on generated folders', () => {
  // --backend auto (the default) first times a batch through MobileNet on wasm and on cpu, at 224×224 the costliest
  // part of these runs; that calibration is tested in backendAuto.test.ts, so these name the backend.
  it('the demo dataset: every image extracted, an unreadable one skipped and reported, random weights labelled', async () => {
    const root = join(dir, 'demo');
    const files = generateDemoDataset({ images: 12, seed: 5, imageSize: 32 });
    const pngs = Object.keys(files).filter((path) => path.endsWith('.png'));
    files[pngs[3]] = 'this is not a PNG';
    await writeFolder(root, files);
    const io = captureIo();
    const code = await extract(['demo', '--backbone', 'mobilenet', '--backend', 'wasm', '--out', 'demo.features', '--json'], io);
    expect(code).toBe(0);
    expect(io.stderr).toContain('RANDOMLY initialised');
    const summary = JSON.parse(io.stdout) as ExtractSummary;
    expect(summary.weights).toBe('random');
    expect(summary.images).toBe(11);
    expect(summary.skipped).toEqual([{ name: pngs[3].split('/').pop(), file: pngs[3], reason: 'not a JPEG or PNG file (unrecognised signature)' }]);
    const file = await readFeatureFile(join(dir, 'demo.features'));
    expect(file.weights).toBe('random');
    expect(file.features.size).toBe(11);

    // Same folder, different backbone weights, same --out: refused, then replaced with --force.
    const refused = await extract(['demo', '--backbone', 'mobilenet', '--backend', 'wasm', '--seed', '7', '--out', 'demo.features'], captureIo()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as Error).message).toMatch(/holds features of .*random-he:42.*not .*random-he:7.*--force/);
    expect(await extract(['demo', '--backbone', 'mobilenet', '--backend', 'wasm', '--seed', '7', '--out', 'demo.features', '--force'], captureIo())).toBe(0);
    expect((await readFeatureFile(join(dir, 'demo.features'))).weightsId).toBe('random-he:7');
  });

  it('a folder of images without captions: every image file is extracted', async () => {
    const files = generateDemoDataset({ images: 3, seed: 2, imageSize: 32 });
    const images = Object.fromEntries(Object.entries(files).filter(([path]) => path.endsWith('.png')));
    await writeFolder(join(dir, 'bare'), images);
    const io = captureIo();
    expect(await extract(['bare', '--backbone', 'mobilenet', '--backend', 'wasm', '--out', 'bare.features', '--json'], io)).toBe(0);
    expect(io.stderr).toContain('extracting every image file in the folder instead');
    expect((JSON.parse(io.stdout) as ExtractSummary).images).toBe(3);
  });

  it('usage errors name the option', async () => {
    await expect(extract(['x', '--out', 'o'], captureIo())).rejects.toThrow('missing --backbone');
    await expect(extract(['x', '--backbone', 'resnet', '--out', 'o'], captureIo())).rejects.toThrow('--backbone must be one of vgg16, mobilenet');
  });
});
