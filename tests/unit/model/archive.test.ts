/**
 * Hostile model archives (issue 15.6), through the one reader the CLI and the page share (archive.ts →
 * weightsIo.ts → Captioner): each refused with one line naming the file and what is wrong, before anything
 * large is allocated, and a model the studio already holds stays held.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../src/core/data/folders.ts';
import { Tokenizer } from '../../../src/core/text/tokenizer.ts';
import { MAX_MODEL_ARCHIVE_BYTES, unzipBounded, unzipModelArchive, zipModelFiles } from '../../../src/model/archive.ts';
import { initialWeights, type CaptionModelConfig } from '../../../src/model/captionModel.ts';
import { Captioner } from '../../../src/model/captioner.ts';
import { encodeCaptionModel, loadCaptionModel } from '../../../src/model/weightsIo.ts';
import { HeldModel } from '../../../src/studio/heldModel.ts';
import { studioModelFromFiles } from '../../../src/studio/model.ts';
import type { StudioEngines } from '../../../src/studio/ports.ts';
import { testStore } from '../../support/studioStore.ts';

const captions = ['startseq a dog runs endseq', 'startseq a cat sits on a mat endseq', 'startseq two birds fly endseq'];

function tokenizerOf(texts: string[]): Tokenizer {
  const tokenizer = new Tokenizer();
  tokenizer.fitOnTexts(texts);
  return tokenizer;
}

function modelFiles(overrides: { tokenizer?: Tokenizer } = {}): Record<string, Uint8Array | string> {
  const tokenizer = tokenizerOf(captions);
  const config: CaptionModelConfig = { vocabSize: tokenizer.vocabSize, maxLength: 8, featureDim: 6, units: 4, embedDim: 3, dropout: 0 };
  return encodeCaptionModel(config, initialWeights(config, 5), (overrides.tokenizer ?? tokenizer).toJSON(), {});
}

/** The files with model.json's manifest edited. */
function withManifest(edit: (weights: { name: string; shape: unknown[] }[]) => void): Record<string, Uint8Array | string> {
  const files = modelFiles();
  const modelJson = JSON.parse(files['model.json'] as string);
  edit(modelJson.weightsManifest[0].weights);
  return { ...files, 'model.json': JSON.stringify(modelJson) };
}

/** A memory folder that records which files were read. */
function recordingFolder(files: Record<string, Uint8Array | string>) {
  const folder = memoryFolder('model', files);
  const reads: string[] = [];
  return { reads, folder: { ...folder, name: folder.name, list: () => folder.list(), read: (path: string) => (reads.push(path), folder.read(path)) } };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e as Error);
  expect(error, 'expected a refusal').not.toBeNull();
  expect(error!.message.split('\n')).toHaveLength(1);
  return error!.message;
}

/** Rewrites the uncompressed size of every entry in a zip's local headers and central directory. */
function declareSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  const encoded = new TextEncoder().encode(name);
  const nameAt = (offset: number) => encoded.every((b, i) => out[offset + i] === b);
  for (let i = 0; i + 46 < out.length; i++) {
    const signature = view.getUint32(i, true);
    if (signature === 0x04034b50 && view.getUint16(i + 26, true) === encoded.length && nameAt(i + 30)) view.setUint32(i + 22, size, true);
    if (signature === 0x02014b50 && view.getUint16(i + 28, true) === encoded.length && nameAt(i + 46)) view.setUint32(i + 24, size, true);
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('a model archive whose weights manifest lies', () => {
  it('a sound archive loads (the baseline the hostile ones are cut from)', async () => {
    const captioner = await Captioner.fromFiles(unzipModelArchive(zipModelFiles(modelFiles()), 'model.zip'), 'model');
    expect(captioner.config.vocabSize).toBe(tokenizerOf(captions).vocabSize);
    captioner.dispose();
  });

  it('absurd shapes are refused from model.json alone: weights.bin is never read', async () => {
    const cases: [unknown[], RegExp][] = [
      [[1e9, 1e9], /^model\.json: weight dense\/kernel of shape \[1000000000, 1000000000\] \(4000000000000000000 bytes\) takes the manifest to 4000000000000000000 bytes, more than the \d+ bytes weights\.bin holds: the manifest does not describe these files$/],
      [[-1, 4], /^model\.json: weight dense\/kernel declares shape \[-1,4\]: -1 is not a size$/],
      [[2.5, 4], /^model\.json: weight dense\/kernel declares shape \[2\.5,4\]: 2\.5 is not a size$/],
      [['x', 4], /^model\.json: weight dense\/kernel declares shape \["x",4\]: "x" is not a size$/],
    ];
    for (const [shape, message] of cases) {
      const { folder, reads } = recordingFolder(withManifest((weights) => (weights[0].shape = shape)));
      expect(await refusal(loadCaptionModel(folder))).toMatch(message);
      expect(reads).toEqual(['model.json']);
    }
  });

  it('a manifest that needs more bytes than the zip holds (weights.bin cut in half) is refused with both sizes', async () => {
    const files = modelFiles();
    const weights = files['weights.bin'] as Uint8Array;
    const zip = zipModelFiles({ ...files, 'weights.bin': weights.subarray(0, weights.length / 2) });
    const message = await refusal(Captioner.fromFiles(unzipModelArchive(zip, 'half.zip'), 'half'));
    expect(message).toMatch(new RegExp(`^model\\.json: weight \\S+ of shape \\[[\\d, ]+\\] \\(\\d+ bytes\\) takes the manifest to \\d+ bytes, more than the ${weights.length / 2} bytes weights\\.bin holds`));
  });

  it('a config with absurd sizes (our format) is refused before any weight is read', async () => {
    const files = modelFiles();
    const modelJson = JSON.parse(files['model.json'] as string);
    modelJson.config.maxLength = 1e9;
    const { folder, reads } = recordingFolder({ ...files, 'model.json': JSON.stringify(modelJson) });
    expect(await refusal(loadCaptionModel(folder))).toBe('model.json: config.maxLength is 1000000000; a caption model has a whole number from 1 to 1000 there');
    expect(reads).toEqual(['model.json']);
  });
});

describe('a zip bomb', () => {
  it('a real bomb (32 MiB of zeros in a 32 KiB entry) is refused from its declared size, nothing inflated', () => {
    const zip = zipSync({ 'model.json': new TextEncoder().encode('{}'), 'weights.bin': new Uint8Array(32 * 2 ** 20) }, { level: 1 });
    expect(zip.length).toBeLessThan(256 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => unzipBounded(zip, 'bomb.zip', { maxInflatedBytes: 8 * 2 ** 20, hint: 'test' })).toThrow(
      /^bomb\.zip: its 2 entries would inflate to 32\.0 MiB \(weights\.bin: 32\.0 MiB\) from \d+\.\d KiB of zip, more than the 8\.0 MiB such an archive may hold here; refused unopened/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 2 ** 20);
  });

  it('a model archive declaring 3.5 GiB is refused under the model bound (1 GiB) before inflating', async () => {
    expect(MAX_MODEL_ARCHIVE_BYTES).toBe(2 ** 30);
    const bomb = declareSize(zipModelFiles(modelFiles()), 'weights.bin', 3.5 * 2 ** 30);
    const before = process.memoryUsage().arrayBuffers;
    let message = '';
    try {
      unzipModelArchive(bomb, 'bomb.zip');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^bomb\.zip: its 3 entries would inflate to 3\.5 GiB \(weights\.bin: 3\.5 GiB\) from \d+\.\d KiB of zip, more than the 1\.0 GiB such an archive may hold here; refused unopened/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  it('an entry whose header understates its size inflates no further than declared, and the model is then refused', async () => {
    const files = modelFiles();
    const liar = declareSize(zipModelFiles({ ...files, 'weights.bin': new Uint8Array(8 * 2 ** 20) }), 'weights.bin', 100);
    const entries = unzipModelArchive(liar, 'liar.zip');
    expect(entries['weights.bin'].length).toBe(100);
    expect(await refusal(Captioner.fromFiles(entries, 'liar'))).toMatch(/^model\.json: weight .* more than the 100 bytes weights\.bin holds/);
  });
});

describe('a tokenizer that does not belong to the model', () => {
  it('is refused before the weights become tensors', async () => {
    const other = tokenizerOf([...captions, 'startseq a red ball endseq']);
    const files = modelFiles({ tokenizer: other });
    const tensorsBefore = tf.memory().numTensors;
    const message = await refusal(Captioner.fromFiles(files, 'mixed'));
    expect(message).toBe(`tokenizer.json has ${other.vocabSize - 1} words but the model's vocabulary is ${tokenizerOf(captions).vocabSize - 1}: they do not belong together`);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(await refusal(Captioner.fromFiles({ ...modelFiles(), 'tokenizer.json': '{"config": 5' }, 'broken'))).toMatch(/^tokenizer\.json is not a Keras tokenizer's JSON \(/);
  });
});

describe('in the studio, a hostile import leaves the held model as it was', () => {
  it('each refusal lands in the Model panel as one line; the model imported before is still held', async () => {
    const { store } = testStore();
    const engines = { importArchive: (bytes: Uint8Array, name: string) => studioModelFromFiles(unzipModelArchive(bytes, name), name, 'archive') } as unknown as StudioEngines;
    const held = new HeldModel(store, engines);
    await held.importArchive({ name: 'good.zip', bytes: zipModelFiles(modelFiles()) });
    const good = held.captioner;
    const infoBefore = store.getState().model.info;
    expect(good).not.toBeNull();
    const hostile: [string, Uint8Array][] = [
      ['bomb.zip', declareSize(zipModelFiles(modelFiles()), 'weights.bin', 3.5 * 2 ** 30)],
      ['shapes.zip', zipModelFiles(withManifest((weights) => (weights[2].shape = [1e9, 1e9])))],
      ['tokenizer.zip', zipModelFiles(modelFiles({ tokenizer: tokenizerOf(['startseq x endseq']) }))],
    ];
    for (const [name, bytes] of hostile) {
      await held.importArchive({ name, bytes });
      const error = store.getState().model.error;
      expect(error?.message.split('\n'), name).toHaveLength(1);
      expect(held.captioner).toBe(good);
      expect(store.getState().model.info).toEqual(infoBefore);
    }
    expect((await good!.caption(new Float32Array(6), { mode: 'greedy' } as never)).caption).toBeTypeOf('string');
    held.dispose();
  });
});
