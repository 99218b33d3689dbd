import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFeatureFile, encodeHeader, encodeRecords, FeatureFileError, makeHeader, MemoryFeatureStore, sha256Hex } from '../../../../src/engine/features/cache.ts';
import type { FeatureIdentity } from '../../../../src/model/backbones/types.ts';
import { NodeFeatureFileStore, readFeatureFile } from '../../../../src/engine/features/cacheNode.ts';
import { extractFeatures, identityOf, type ExtractImage, type ExtractProgress } from '../../../../src/engine/features/extract.ts';
import { loadBackbone, type Backbone } from '../../../../src/model/backbones/index.ts';

const identity: FeatureIdentity = {
  backbone: 'mobilenet',
  backboneId: 'mobilenet_v1_0.25_224',
  weights: { kind: 'path', location: '/models/m' },
  weightsId: 'sha256:abc',
  featureDim: 3,
  inputSize: 224,
};

let dir: string;
let backbone: Backbone;
beforeAll(async () => {
  await tf.setBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'extract-test-'));
  // Small input keeps the test fast; the pipeline is the same as at 224.
  backbone = await loadBackbone({ name: 'mobilenet', mobilenet: { alpha: 0.25, inputSize: 32, classes: 5 }, weights: { kind: 'random', seed: 3 } });
});
afterAll(async () => {
  backbone.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A PNG of one flat colour per image index, so every image has distinct content. */
function pngOf(index: number): Uint8Array {
  const data = new Uint8Array(40 * 30 * 3);
  for (let i = 0; i < 40 * 30; i++) data.set([(index * 37) % 256, (index * 91) % 256, (i * 7 + index) % 256], 3 * i);
  return encodePng({ width: 40, height: 30, data, channels: 3 });
}

function images(count: number, bytesOf: (i: number) => Uint8Array = pngOf): ExtractImage[] {
  return Array.from({ length: count }, (_, i) => ({ name: `img_${i}.png`, read: async () => bytesOf(i) }));
}

describe('feature file format', () => {
  it('round-trips names (UTF-8), hashes and vectors, and ignores a torn last record', async () => {
    const records = [
      { name: 'a.jpg', sha256: await sha256Hex(new Uint8Array([1])), features: new Float32Array([1.5, -2, 3e-8]) },
      { name: 'café ünïcode.jpg', sha256: await sha256Hex(new Uint8Array([2])), features: new Float32Array([0, 0.25, 7]) },
    ];
    const header = encodeHeader(makeHeader(identity));
    expect(header.length % 4).toBe(0);
    const body = encodeRecords(records, 3);
    const whole = new Uint8Array([...header, ...body]);
    const decoded = decodeFeatureFile(whole);
    expect(decoded.backboneId).toBe('mobilenet_v1_0.25_224');
    expect(decoded.weights).toEqual({ kind: 'path', location: '/models/m' });
    expect(decoded.featureDim).toBe(3);
    expect([...decoded.features.keys()]).toEqual(['a.jpg', 'café ünïcode.jpg']);
    expect(Array.from(decoded.features.get('café ünïcode.jpg')!)).toEqual([0, 0.25, 7]);
    expect(decoded.hashes.get('a.jpg')).toBe(records[0].sha256);
    expect(decoded.truncatedBytes).toBe(0);
    const torn = decodeFeatureFile(whole.subarray(0, whole.length - 5));
    expect([...torn.features.keys()]).toEqual(['a.jpg']);
    expect(torn.truncatedBytes).toBeGreaterThan(0);
  });

  it('rejects a file that is not a feature file, naming it', () => {
    expect(() => decodeFeatureFile(new TextEncoder().encode('image,caption\n'), 'captions.txt')).toThrow(
      /captions\.txt is not a caption-studio feature file/,
    );
  });

  it('a Node store resumes its own file, repairs a torn tail and refuses another identity', async () => {
    const path = join(dir, 'store.features');
    const first = await NodeFeatureFileStore.open(path, identity);
    await first.put([{ name: 'x.jpg', sha256: 'aa'.repeat(32), features: new Float32Array([1, 2, 3]) }]);
    await first.put([{ name: 'y.jpg', sha256: 'bb'.repeat(32), features: new Float32Array([4, 5, 6]) }]);
    const size = (await stat(path)).size;
    await writeFile(path, (await readFile(path)).subarray(0, size - 6));
    const second = await NodeFeatureFileStore.open(path, identity);
    expect(second.resumedRecords).toBe(1);
    expect([...(await second.getByHash(['aa'.repeat(32), 'bb'.repeat(32)])).keys()]).toEqual(['aa'.repeat(32)]);
    await second.put([{ name: 'z.jpg', sha256: 'cc'.repeat(32), features: new Float32Array([7, 8, 9]) }]);
    const contents = await readFeatureFile(path);
    expect([...contents.features.keys()]).toEqual(['x.jpg', 'z.jpg']);
    expect(contents.truncatedBytes).toBe(0);
    const error = await NodeFeatureFileStore.open(path, { ...identity, weightsId: 'random:42', weights: 'random' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeatureFileError);
    expect((error as Error).message).toMatch(/holds features of mobilenet_v1_0\.25_224 .*weights path \/models\/m.*not .*RANDOM weights/);
    const replaced = await NodeFeatureFileStore.open(path, { ...identity, weightsId: 'random:42', weights: 'random' }, { replace: true });
    expect((await replaced.names()).size).toBe(0);
    expect((await readFeatureFile(path)).weights).toBe('random');
  });
});

describe('extractFeatures', () => {
  it('extracts in batches with progress, and the vectors equal the backbone run directly', async () => {
    const store = new MemoryFeatureStore(identityOf(backbone));
    const events: ExtractProgress[] = [];
    const result = await extractFeatures(backbone, images(5), store, { batchSize: 2, onProgress: (p) => events.push(p) });
    expect(result.computed).toBe(5);
    expect(result.features.size).toBe(5);
    expect(events.map((e) => e.done)).toEqual([0, 2, 4, 5]);
    expect(events.at(-1)).toMatchObject({ total: 5, computed: 5, cached: 0, skipped: 0, etaSeconds: 0 });
    expect(events.at(-1)!.imagesPerSecond).toBeGreaterThan(0);
    // Same numbers as one direct call at batch 1 (batching must not change results).
    const { imageToInput } = await import('../../../../src/model/images/decode.ts');
    const input = tf.tensor4d(await imageToInput(pngOf(3), 'img_3.png', 32), [1, 32, 32, 3]);
    const direct = backbone.extract(input);
    const expected = direct.dataSync();
    // Random features must have a usable scale, or the comparison below proves nothing.
    expect(Math.max(...expected)).toBeGreaterThan(0.01);
    result.features.get('img_3.png')!.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    tf.dispose([input, direct]);
  });

  it('skips and reports unreadable images without stopping', async () => {
    const store = new MemoryFeatureStore(identityOf(backbone));
    const list = images(4, (i) => (i === 1 ? new TextEncoder().encode('not an image') : pngOf(i)));
    list.push({ name: 'gone.png', file: 'Images/gone.png', read: async () => Promise.reject(new Error('ENOENT: no such file')) });
    const result = await extractFeatures(backbone, list, store, { batchSize: 3 });
    expect(result.computed).toBe(3);
    expect(result.skipped).toEqual([
      { name: 'img_1.png', file: 'img_1.png', reason: 'not a JPEG or PNG file (unrecognised signature)' },
      { name: 'gone.png', file: 'Images/gone.png', reason: 'cannot read: ENOENT: no such file' },
    ]);
  });

  it('an image whose header claims 50000×50000 pixels is skipped with its reason; the rest is extracted (issue 15)', async () => {
    const { pngClaiming } = await import('../../../support/hostileFiles.ts');
    const store = new MemoryFeatureStore(identityOf(backbone));
    const list = images(4, (i) => (i === 2 ? pngClaiming(50000, 50000) : pngOf(i)));
    const result = await extractFeatures(backbone, list, store, { batchSize: 2 });
    expect(result.computed).toBe(3);
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0].name).toBe('img_2.png');
    expect(result.skipped[0].reason).toMatch(/^its header declares 50000×50000 pixels .* more than the 100 MP an image may have here/);
    expect([...(await store.names()).keys()].sort()).toEqual(['img_0.png', 'img_1.png', 'img_3.png']);
  });

  it('a batch whose images to compute are not its first ones (a hit, a broken image, a duplicate before them) gives each image its own vector', async () => {
    const store = new MemoryFeatureStore(identityOf(backbone));
    await extractFeatures(backbone, images(1), store);
    const list = images(7, (i) => (i === 1 ? new TextEncoder().encode('not an image') : pngOf(i === 3 ? 2 : i)));
    const result = await extractFeatures(backbone, list, store, { batchSize: 4 });
    expect(result).toMatchObject({ computed: 4, cached: 2 });
    expect(result.skipped.map((s) => s.name)).toEqual(['img_1.png']);
    const { imageToInput } = await import('../../../../src/model/images/decode.ts');
    for (const i of [2, 4, 5, 6]) {
      const input = tf.tensor4d(await imageToInput(pngOf(i), `img_${i}.png`, 32), [1, 32, 32, 3]);
      const direct = backbone.extract(input);
      const expected = direct.dataSync();
      result.features.get(`img_${i}.png`)!.forEach((v, k) => expect(v, `img_${i}.png [${k}]`).toBeCloseTo(expected[k], 4));
      tf.dispose([input, direct]);
    }
    expect(Array.from(result.features.get('img_3.png')!)).toEqual(Array.from(result.features.get('img_2.png')!));
  });

  it('computes each content once: duplicates under other names come from the cache', async () => {
    const store = new MemoryFeatureStore(identityOf(backbone));
    const result = await extractFeatures(backbone, images(6, (i) => pngOf(i % 2)), store, { batchSize: 2 });
    expect(result.computed).toBe(2);
    expect(result.cached).toBe(4);
    expect(Array.from(result.features.get('img_4.png')!)).toEqual(Array.from(result.features.get('img_0.png')!));
    expect((await store.names()).size).toBe(6);
  });

  it('aborts midway, keeps finished batches in the file, and a rerun computes only the rest', async () => {
    const path = join(dir, 'resume.features');
    const list = images(10);
    const controller = new AbortController();
    const store = await NodeFeatureFileStore.open(path, identityOf(backbone));
    const before = tf.memory().numTensors;
    const aborted = await extractFeatures(backbone, list, store, {
      batchSize: 3,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 3) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((aborted as Error).name).toBe('AbortError');
    expect(tf.memory().numTensors).toBe(before);
    expect((await readFeatureFile(path)).features.size).toBe(3);

    const reopened = await NodeFeatureFileStore.open(path, identityOf(backbone));
    expect(reopened.resumedRecords).toBe(3);
    const rest = await extractFeatures(backbone, list, reopened, { batchSize: 3 });
    expect(rest.cached).toBe(3);
    expect(rest.computed).toBe(7);
    const file = await readFeatureFile(path);
    expect(file.features.size).toBe(10);
    expect(file.weights).toBe('random');
    expect(file.featureDim).toBe(256);
  });
});

describe('feature file errors', () => {
  it('a missing file or an unwritable path is a FeatureFileError naming the path', async () => {
    await expect(readFeatureFile(join(dir, 'none.features'))).rejects.toThrow(/cannot read feature file .*none\.features/);
    const error = await NodeFeatureFileStore.open(join(dir, 'no-such-dir', 'x.features'), identity).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeatureFileError);
    expect((error as FeatureFileError).code).toBe('unwritable');
    expect((error as Error).message).toMatch(/cannot write feature file .*no-such-dir\/x\.features/);
  });
});

describe('resize method', () => {
  it('nearest (Keras load_img default) is part of the identity and changes the features', async () => {
    const list = images(2);
    const bilinear = await extractFeatures(backbone, list, new MemoryFeatureStore(identityOf(backbone)));
    const path = join(dir, 'nearest.features');
    const store = await NodeFeatureFileStore.open(path, identityOf(backbone, 'nearest'));
    const nearest = await extractFeatures(backbone, list, store);
    const a = bilinear.features.get('img_0.png')!;
    const b = nearest.features.get('img_0.png')!;
    expect(a.some((v, i) => Math.abs(v - b[i]) > 1e-3)).toBe(true);
    expect((await readFeatureFile(path)).header.resize).toBe('nearest');
    await expect(NodeFeatureFileStore.open(path, identityOf(backbone, 'bilinear'))).rejects.toThrow(/nearest resize/);
  });
});

describe('replacing a file', () => {
  it('replace never overwrites a file that is not a feature file; an empty file is fine', async () => {
    const captions = join(dir, 'captions.txt');
    await writeFile(captions, 'image,caption\na.jpg,a dog\n');
    await expect(NodeFeatureFileStore.open(captions, identity, { replace: true })).rejects.toThrow(/is not a caption-studio feature file/);
    expect(await readFile(captions, 'utf8')).toBe('image,caption\na.jpg,a dog\n');
    const empty = join(dir, 'empty.features');
    await writeFile(empty, '');
    await NodeFeatureFileStore.open(empty, identity);
    expect((await readFeatureFile(empty)).backboneId).toBe(identity.backboneId);
  });
});
