/**
 * Keras files read directly: the notebook's caption model (Keras 2 .h5, Keras 3 .keras) and backbone weights
 * (Keras' ImageNet .h5 layouts), in Node and through the browser's WORKERFS path. The files are written at
 * test time by tests/fixtures/make_keras_files.py (h5py + numpy, no Keras), with a reference greedy decoding
 * computed there in numpy, independently of the studio's code.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCaptioner } from '../../../../src/cli/commands/caption.ts';
import { extract, type ExtractSummary } from '../../../../src/cli/commands/extract.ts';
import { main } from '../../../../src/cli/main.ts';
import { generateDemoDataset } from '../../../../src/core/data/demo.ts';
import { encodeHeader, encodeRecords, makeHeader } from '../../../../src/engine/features/cache.ts';
import { readFeatureFile } from '../../../../src/engine/features/cacheNode.ts';
import { loadBackbone, WeightsError, type Vgg16Config } from '../../../../src/model/backbones/index.ts';
import { nodeWeights } from '../../../../src/model/backbones/loadWeightsNode.ts';
import { kerasCaptionModel } from '../../../../src/model/keras/captionImport.ts';
import { kerasNotebookFiles, rebuiltTokenizer } from '../../../../src/model/keras/notebookFiles.ts';
import { Captioner } from '../../../../src/model/captioner.ts';
import { loadCaptionModel } from '../../../../src/model/weightsIo.ts';
import { memoryFolder } from '../../../../src/core/data/folders.ts';
import { loadDataset } from '../../../../src/core/data/load.ts';
import { buildCorpus } from '../../../../src/core/text/protocols.ts';
import type { KerasWeightsFile } from '../../../../src/model/keras/kerasFile.ts';
import { serveKerasFile, type FromKerasWorker, type ToKerasWorker } from '../../../../src/model/keras/kerasWorker.ts';
import { kerasHdf5Blob, openKerasBlobHere } from '../../../../src/model/keras/blobReader.ts';
import { openKerasFileNode } from '../../../../src/model/keras/openNode.ts';
import { recordingIo } from '../../cli/fixture.ts';
import { skipUnlessPresent } from '../../../prerequisites.ts';
import { repoRoot } from '../../../paths.ts';

const FIXTURE_SCRIPT = resolve(repoRoot, 'tests', 'fixtures', 'make_keras_files.py');

/** Debian's python3 has python3-h5py; a python3 earlier on PATH (pyenv) may not. */
function pythonWithH5py(): string | null {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', 'import h5py, numpy'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}
const python = pythonWithH5py();
const missing = python ? '' : 'a python3 with h5py and numpy (Debian: apt-get install python3-h5py python3-numpy) to write the Keras fixture files';

/** Same names and structure as Keras' VGG16, narrow (the fixture script's VGG_TINY). */
const TINY_VGG: Vgg16Config = { inputSize: 32, blockFilters: [4, 4, 8, 8, 8], fcUnits: 16, classes: 10 };

interface Reference {
  maxLength: number;
  vocabSize: number;
  features: number[][];
  captions: string[];
}

let dir: string;
let reference: Reference;

describe.skipIf(skipUnlessPresent(missing, 'python3 with h5py'))('Keras files read directly', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'keras-import-'));
    const run = spawnSync(python!, [FIXTURE_SCRIPT, dir], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`make_keras_files.py failed: ${run.stderr}`);
    reference = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8')) as Reference;
    await writeFile(join(dir, 'not-hdf5.h5'), 'this is a text file, not HDF5\n');
    // An interrupted download: HDF5's signature, then the file stops.
    await writeFile(join(dir, 'truncated.h5'), (await readFile(join(dir, 'notebook.h5'))).subarray(0, 20_000));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const features = () => reference.features.map((f) => Float32Array.from(f));

  /**
   * A Kaggle captions.txt whose tokenizer (kaggle protocol) is the fixture's: word j of the 18 content words
   * appears 18 - j times, so Keras' count order gives the fixture's word_index; captions of 5 words (7 tokens).
   */
  async function captionLinesForTheFixtureTokenizer(): Promise<string[]> {
    const tokenizer = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as { config: { word_index: string } };
    const words = Object.keys(JSON.parse(tokenizer.config.word_index) as Record<string, number>).slice(2);
    const stream = words.flatMap((w, j) => Array<string>(words.length - j).fill(w));
    const lines = ['image,caption'];
    for (let i = 0; i * 5 < stream.length; i++) lines.push(`img${i}.jpg,${stream.slice(i * 5, i * 5 + 5).join(' ')}`);
    return lines;
  }

  /** The fixture captions with more than one distinct word prove the LSTM's state is carried right. */
  it('has a reference worth comparing against (captions of several different words, one ended by the model)', () => {
    expect(reference.captions.some((c) => c.endsWith(' endseq'))).toBe(true);
    expect(reference.captions.filter((c) => new Set(c.split(' ')).size >= 4).length).toBeGreaterThanOrEqual(3);
  });

  describe('the notebook caption model', () => {
    it.each([['notebook.h5', 'keras2-model'], ['notebook.keras', 'keras3']])(
      'import-keras %s (%s): greedy captions equal the notebook loop computed in numpy',
      async (file, layout) => {
        const out = join(dir, `model-${file}`);
        const { io, out: stdout, err } = recordingIo(dir);
        const code = await main(['import-keras', file, '--tokenizer', 'tokenizer.json', '--out', out, '--json'], io);
        expect(err.join('')).not.toMatch(/internal error/);
        expect(code).toBe(0);
        const summary = JSON.parse(stdout.join(''));
        expect(summary).toMatchObject({ layout, vocabSize: reference.vocabSize, maxLength: reference.maxLength, featureDim: 12, units: 8, embedDim: 6, protocol: 'kaggle' });
        const captioner = await openCaptioner(out);
        try {
          const results = await captioner.caption(features());
          expect(results.map((r) => r.markedText)).toEqual(reference.captions);
        } finally {
          captioner.dispose();
        }
      },
    );

    it('`caption --features` on the imported model prints the same captions (markers dropped)', async () => {
      const out = join(dir, 'model-for-caption');
      expect(await main(['import-keras', 'notebook.h5', '--tokenizer', 'tokenizer.json', '--out', out], recordingIo(dir).io)).toBe(0);
      const names = reference.features.map((_, i) => `img${i}.jpg`);
      const header = makeHeader({ backbone: 'vgg16', backboneId: 'fixture', weights: 'random', weightsId: 'random:0', featureDim: 12, inputSize: 224 });
      const records = encodeRecords(names.map((name, i) => ({ name, sha256: '00'.repeat(32), features: features()[i] })), 12);
      await writeFile(join(dir, 'fixture.features'), Buffer.concat([encodeHeader(header), records]));
      const { io, out: stdout } = recordingIo(dir);
      expect(await main(['caption', '--model', out, '--features', 'fixture.features', ...names], io)).toBe(0);
      // What the Captioner prints: the words after the start marker, up to the end marker, inner start markers dropped.
      const expected = reference.captions.map((c, i) => {
        const words = c.split(' ').slice(1);
        const end = words.indexOf('endseq');
        return `${names[i]}\t${(end < 0 ? words : words.slice(0, end)).filter((w) => w !== 'startseq').join(' ')}`;
      });
      expect(stdout.join('').trimEnd().split('\n')).toEqual(expected);
    });

    it('--dataset rebuilds the tokenizer from the captions (and says so), giving the same captions', async () => {
      const lines = await captionLinesForTheFixtureTokenizer();
      const dataset = join(dir, 'captions-only');
      await mkdir(dataset, { recursive: true });
      await writeFile(join(dataset, 'captions.txt'), `${lines.join('\n')}\n`);
      const out = join(dir, 'model-from-dataset');
      const { io, err } = recordingIo(dir);
      expect(await main(['import-keras', 'notebook.keras', '--dataset', dataset, '--protocol', 'kaggle', '--out', out], io)).toBe(0);
      expect(err.join('')).toMatch(/no tokenizer file given: rebuilt the tokenizer from .*captions-only \(kaggle protocol, 20 words\)/);
      const captioner = await openCaptioner(out);
      try {
        expect((await captioner.caption(features())).map((r) => r.markedText)).toEqual(reference.captions);
      } finally {
        captioner.dispose();
      }
      // A dataset whose longest caption differs from the model's input length is refused.
      await writeFile(join(dataset, 'captions.txt'), `${lines.join('\n')}\nimgx.jpg,big dog cat runs on the grass\n`);
      const refused = recordingIo(dir);
      expect(await main(['import-keras', 'notebook.keras', '--dataset', dataset, '--out', join(dir, 'no')], refused.io)).toBe(1);
      expect(refused.err.join('')).toMatch(/notebook\.keras takes captions of 7 tokens but the longest caption of the dataset behind .*captions-only.* has 9/);
    });

    const refusals: [string, string[], RegExp][] = [
      ['a model file that is not HDF5', ['not-hdf5.h5', '--tokenizer', 'tokenizer.json'], /^caption-studio import-keras: not-hdf5\.h5: not an HDF5 file or a Keras \.keras zip/],
      ['a truncated HDF5 file (and HDF5 prints nothing itself)', ['truncated.h5', '--tokenizer', 'tokenizer.json'], /^caption-studio import-keras: truncated\.h5: HDF5 cannot open it \(a damaged or truncated file\?\): truncated file: eof = 20000/],
      ['a tokenizer that is not a Keras tokenizer JSON', ['notebook.h5', '--tokenizer', 'reference.json'], /^caption-studio import-keras: reference\.json: is not a Keras tokenizer JSON/],
      ['a tokenizer that is not JSON at all', ['notebook.h5', '--tokenizer', 'not-hdf5.h5'], /^caption-studio import-keras: not-hdf5\.h5: is not a Keras tokenizer JSON .*not even valid JSON/],
      ['an LSTM with hard_sigmoid gates', ['notebook_hard_sigmoid.h5', '--tokenizer', 'tokenizer.json'], /notebook_hard_sigmoid\.h5: layer lstm uses recurrent_activation 'hard_sigmoid'/],
      ['a weights-only file', ['vgg16_tiny.h5', '--tokenizer', 'tokenizer.json'], /vgg16_tiny\.h5: holds weights only/],
    ];
    it.each(refusals)('refuses %s: exit 1, one line naming the file', async (_what, args, message) => {
      const { io, err } = recordingIo(dir);
      expect(await main(['import-keras', ...args, '--out', join(dir, 'refused')], io)).toBe(1);
      const text = err.join('');
      expect(text.trimEnd().split('\n')).toHaveLength(1);
      expect(text).toMatch(message);
    });

    it('refuses a tokenizer of another vocabulary, naming both files', async () => {
      const text = await readFile(join(dir, 'tokenizer.json'), 'utf8');
      const other = JSON.parse(text) as { config: Record<string, string> };
      const index = JSON.parse(other.config.word_index) as Record<string, number>;
      other.config.word_index = JSON.stringify({ ...index, extra: 21 });
      await writeFile(join(dir, 'tokenizer-other.json'), JSON.stringify(other));
      const { io, err } = recordingIo(dir);
      expect(await main(['import-keras', 'notebook.h5', '--tokenizer', 'tokenizer-other.json', '--out', join(dir, 'refused')], io)).toBe(1);
      expect(err.join('')).toMatch(/tokenizer-other\.json: has 21 words \(vocabulary 22 with padding\) but notebook\.h5's embedding and output layer take 21/);
    });
  });

  describe('backbone weights', () => {
    it('a VGG16 .h5 with Keras 1 weight names gives the same fc2 features as the same weights from a tfjs folder', async () => {
      const fromH5 = await loadBackbone({ name: 'vgg16', vgg16: TINY_VGG, weights: nodeWeights(join(dir, 'vgg16_tiny.h5')) });
      const fromFolder = await loadBackbone({ name: 'vgg16', vgg16: TINY_VGG, weights: nodeWeights(join(dir, 'vgg16_tiny_tfjs')) });
      const images = tf.randomUniform([3, 32, 32, 3], 0, 255, 'float32', 5) as tf.Tensor4D;
      try {
        expect(fromH5.weights).toEqual({ kind: 'path', location: join(dir, 'vgg16_tiny.h5') });
        expect(fromH5.weightsId).toMatch(/^sha256:[0-9a-f]{64}$/);
        const a = fromH5.extract(images);
        const b = fromFolder.extract(images);
        const [av, bv] = [a.dataSync(), b.dataSync()];
        expect(av.some((v) => v > 0)).toBe(true);
        expect(Array.from(av)).toEqual(Array.from(bv));
        tf.dispose([a, b]);
        const again = await loadBackbone({ name: 'vgg16', vgg16: TINY_VGG, weights: nodeWeights(join(dir, 'vgg16_tiny.h5')) });
        expect(again.weightsId).toBe(fromH5.weightsId);
        again.dispose();
      } finally {
        tf.dispose(images);
        fromH5.dispose();
        fromFolder.dispose();
      }
    });

    it('refuses the _notop VGG16 file for fc2 features, naming the file to use', async () => {
      const before = tf.memory().numTensors;
      const error = await loadBackbone({ name: 'vgg16', vgg16: TINY_VGG, weights: nodeWeights(join(dir, 'vgg16_tiny_notop.h5')) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WeightsError);
      expect((error as Error).message).toMatch(/vgg16_tiny_notop\.h5 is VGG16 without its top .*use vgg16_weights_tf_dim_ordering_tf_kernels\.h5/);
      expect(tf.memory().numTensors).toBe(before);
    });

    it("refuses MobileNet's _no_top file, naming Keras' file with the classifier", async () => {
      const error = await loadBackbone({ name: 'mobilenet', weights: nodeWeights(join(dir, 'mobilenet_tiny_no_top.h5')) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WeightsError);
      expect((error as Error).message).toMatch(/mobilenet_tiny_no_top\.h5 is MobileNet v1 \(alpha 0\.25\) without its top .*use mobilenet_2_5_224_tf\.h5/);
    });

    it("another network's file names the layer, the expected shape and the shape found", async () => {
      const error = await loadBackbone({ name: 'vgg16', vgg16: TINY_VGG, weights: nodeWeights(join(dir, 'vgg16_wide.h5')) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WeightsError);
      const message = (error as Error).message;
      expect(message).toContain('do not fit VGG16');
      expect(message).toContain('layer block4_conv1: weight kernel has shape [3,3,8,12] in the file, expected [3,3,8,8]');
      const mobilenetAsVgg = await loadBackbone({ name: 'vgg16', vgg16: TINY_VGG, weights: nodeWeights(join(dir, 'mobilenet_tiny.h5')) }).catch((e: unknown) => e);
      expect((mobilenetAsVgg as Error).message).toMatch(/mobilenet_tiny\.h5 are not VGG16 weights: none of its layers \(block1_conv1, .*\) is in the file, which has conv1, conv1_bn/);
    });

    it('a MobileNet .h5 (Keras 2 names) reads its alpha from conv1 and gives the features of the same weights from a tfjs folder', async () => {
      const fromH5 = await loadBackbone({ name: 'mobilenet', mobilenet: { inputSize: 64 }, weights: nodeWeights(join(dir, 'mobilenet_tiny.h5')) });
      const fromFolder = await loadBackbone({ name: 'mobilenet', mobilenet: { inputSize: 64 }, weights: nodeWeights(join(dir, 'mobilenet_tiny_tfjs')) });
      const images = tf.randomUniform([2, 64, 64, 3], 0, 255, 'float32', 6) as tf.Tensor4D;
      try {
        expect(fromH5.id).toBe('mobilenet_v1_0.25_64_c10');
        expect(fromH5.featureDim).toBe(256);
        const a = fromH5.extract(images);
        const b = fromFolder.extract(images);
        expect(a.dataSync().some((v) => v !== 0)).toBe(true);
        expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
        tf.dispose([a, b]);
      } finally {
        tf.dispose(images);
        fromH5.dispose();
        fromFolder.dispose();
      }
    });

    it('`extract --weights file.h5` extracts with it, and a file that is not HDF5 exits 1 naming it', async () => {
      const images = join(dir, 'three-images');
      const demo = generateDemoDataset({ images: 3, seed: 4 });
      await mkdir(images, { recursive: true });
      for (const [path, content] of Object.entries(demo)) if (path.endsWith('.png')) await writeFile(join(images, path.split('/').pop()!), content);
      const { io, out, err } = recordingIo(dir);
      // One named backend for both runs, so their features compare exactly; --backend auto (the default) would
      // first time MobileNet on wasm and on cpu, the costliest part here, and is tested in cli/backendAuto.test.ts.
      const args = [images, '--backbone', 'mobilenet', '--weights', 'mobilenet_tiny.h5', '--backend', 'wasm', '--out', 'h5.features', '--json'];
      expect(await extract(args, io)).toBe(0);
      const summary = JSON.parse(out.join('')) as ExtractSummary;
      expect(summary).toMatchObject({ backboneId: 'mobilenet_v1_0.25_224_c10', featureDim: 256, computed: 3, weights: { kind: 'path', location: join(dir, 'mobilenet_tiny.h5') } });
      expect(err.join('')).not.toContain('RANDOMLY');
      const viaFolder = recordingIo(dir);
      expect(await extract([images, '--backbone', 'mobilenet', '--weights', 'mobilenet_tiny_tfjs', '--backend', 'wasm', '--out', 'tfjs.features', '--json'], viaFolder.io)).toBe(0);
      const [h5Features, folderFeatures] = [await readFeatureFile(join(dir, 'h5.features')), await readFeatureFile(join(dir, 'tfjs.features'))];
      for (const [name, vector] of folderFeatures.features) expect(Array.from(h5Features.features.get(name)!)).toEqual(Array.from(vector));

      const bad = recordingIo(dir);
      expect(await main(['extract', images, '--backbone', 'vgg16', '--weights', 'not-hdf5.h5', '--out', 'bad.features'], bad.io)).toBe(1);
      // The folder has no caption file, which extract notes on a line of its own before it meets the weights.
      const lines = bad.err.join('').trimEnd().split('\n');
      expect(lines.filter((line) => line.startsWith('caption-studio extract:'))).toEqual([expect.stringMatching(/^caption-studio extract: \S*not-hdf5\.h5: not an HDF5 file/)]);
    });
  });

  describe('the browser path (a Blob read in place through WORKERFS, as in a worker)', () => {
    /** A Blob over bytes that FileReaderSync (only in workers) can read synchronously; Node has neither. */
    class BytesBlob {
      constructor(readonly bytes: Uint8Array) {}
      get size(): number {
        return this.bytes.length;
      }
      slice(start = 0, end = this.bytes.length): BytesBlob {
        return new BytesBlob(this.bytes.subarray(start, end));
      }
      async arrayBuffer(): Promise<ArrayBuffer> {
        return this.bytes.slice().buffer;
      }
    }
    beforeAll(() => {
      // h5wasm's web build mounts WORKERFS only in a worker: it looks for WorkerGlobalScope when it starts
      // (at its first import, in openKerasBlobHere), and WORKERFS reads through FileReaderSync.
      (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope = class {};
      (globalThis as { FileReaderSync?: unknown }).FileReaderSync = class {
        readAsArrayBuffer(blob: BytesBlob): ArrayBuffer {
          return blob.bytes.slice().buffer;
        }
      };
    });
    afterAll(() => {
      delete (globalThis as { FileReaderSync?: unknown }).FileReaderSync;
      delete (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope;
    });
    const blobOf = async (name: string) => new BytesBlob(new Uint8Array(await readFile(join(dir, name)))) as unknown as Blob;

    async function everyValue(file: KerasWeightsFile): Promise<number[][]> {
      const values: number[][] = [];
      for (const layer of file.index.layers) for (const weight of layer.weights) values.push(Array.from(await file.read(weight)));
      return values;
    }

    it.each(['notebook.h5', 'notebook.keras', 'vgg16_tiny.h5'])('%s: the same index and values as the Node reader', async (name) => {
      const { h5, config } = await kerasHdf5Blob(await blobOf(name), name);
      const browser = await openKerasBlobHere(h5, name, config);
      const node = await openKerasFileNode(join(dir, name), name);
      try {
        expect(browser.index).toEqual(node.index);
        expect(await everyValue(browser)).toEqual(await everyValue(node));
      } finally {
        await browser.close();
        await node.close();
      }
    });

    it('the caption model read through the browser path is the one read in Node', async () => {
      const { h5, config } = await kerasHdf5Blob(await blobOf('notebook.keras'), 'notebook.keras');
      const file = await openKerasBlobHere(h5, 'notebook.keras', config);
      try {
        const model = await kerasCaptionModel(file);
        expect(model.config).toMatchObject({ vocabSize: reference.vocabSize, maxLength: reference.maxLength });
      } finally {
        await file.close();
      }
    });

    it("the Model panel's import: model + tokenizer.json picked, or the tokenizer rebuilt from the loaded dataset", async () => {
      const pick = async (name: string) => Object.assign(await blobOf(name), { name, text: async () => readFile(join(dir, name), 'utf8') }) as unknown as File;
      const captionsOf = async (files: Record<string, Uint8Array | string>) => {
        const captioner = Captioner.fromLoaded(await loadCaptionModel(memoryFolder('imported', files)));
        try {
          return (await captioner.caption(features())).map((r) => r.markedText);
        } finally {
          captioner.dispose();
        }
      };
      const withFile = await kerasNotebookFiles([await pick('notebook.h5'), await pick('tokenizer.json')]);
      expect(withFile.rebuilt).toBe(false);
      expect(await captionsOf(withFile.files)).toEqual(reference.captions);

      const captionsTxt = `${(await captionLinesForTheFixtureTokenizer()).join('\n')}\n`;
      const corpus = buildCorpus(await loadDataset(memoryFolder('loaded', { 'captions.txt': captionsTxt })), 'kaggle');
      const rebuilt = await kerasNotebookFiles([await pick('notebook.keras')], () => rebuiltTokenizer(corpus, 'the loaded dataset'));
      expect(rebuilt.rebuilt).toBe(true);
      expect(await captionsOf(rebuilt.files)).toEqual(reference.captions);

      await expect(kerasNotebookFiles([await pick('notebook.keras')], () => null)).rejects.toThrow(/pick the notebook's tokenizer\.json .* or load the dataset it was trained on first/);
    });

    it('refuses a Blob that is not HDF5, or a truncated one, naming it', async () => {
      await expect(kerasHdf5Blob(await blobOf('not-hdf5.h5'), 'not-hdf5.h5')).rejects.toMatchObject({ file: 'not-hdf5.h5', message: expect.stringMatching(/^not an HDF5 file/) });
      const { h5 } = await kerasHdf5Blob(await blobOf('truncated.h5'), 'truncated.h5');
      await expect(openKerasBlobHere(h5, 'truncated.h5', null)).rejects.toMatchObject({ file: 'truncated.h5', message: expect.stringMatching(/^HDF5 cannot open it .*truncated file/) });
    });

    it("the page's worker answers open, read and close (values transferred)", async () => {
      const messages: { message: FromKerasWorker; transfer?: Transferable[] }[] = [];
      let listener: ((event: { data: ToKerasWorker }) => void) | null = null;
      serveKerasFile({ postMessage: (message, transfer) => void messages.push({ message, transfer }), addEventListener: (_type, l) => void (listener = l) });
      // Until the worker has answered `count` times (bounded by the suite's hang bound, not by a count of ticks).
      const next = async (count: number) => {
        await expect.poll(() => messages.length, { interval: 10 }).toBeGreaterThanOrEqual(count);
        return messages[count - 1];
      };
      const { h5, config } = await kerasHdf5Blob(await blobOf('notebook.h5'), 'notebook.h5');
      listener!({ data: { type: 'open', h5, name: 'notebook.h5', config } });
      const opened = (await next(1)).message;
      expect(opened.type).toBe('opened');
      const index = (opened as Extract<FromKerasWorker, { type: 'opened' }>).index;
      const weight = index.layers.find((l) => l.layer === 'dense')!.weights[0];
      listener!({ data: { type: 'read', id: 7, weight } });
      const values = await next(2);
      expect(values.message).toMatchObject({ type: 'values', id: 7 });
      const array = (values.message as Extract<FromKerasWorker, { type: 'values' }>).values;
      expect(array.length).toBe(12 * 8);
      expect(values.transfer).toEqual([array.buffer]);
      listener!({ data: { type: 'read', id: 8, weight: { ...weight, path: '/model_weights/dense/none' } } });
      expect((await next(3)).message).toMatchObject({ type: 'failed', id: 8, file: 'notebook.h5' });
      listener!({ data: { type: 'close' } });
    });
  });
});
