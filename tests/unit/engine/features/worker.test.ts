import * as tf from '@tensorflow/tfjs';
import { encode as encodePng } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryFeatureStore, type FeatureStore } from '../../../../src/engine/features/cache.ts';
import { serveExtraction, type FromExtractWorker, type ToExtractWorker } from '../../../../src/engine/features/worker.ts';
import { decodeImageJsAsync } from '../../../../src/model/imageDecode.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function fakeWorker() {
  const replies: FromExtractWorker[] = [];
  let listener: ((event: { data: ToExtractWorker }) => void) | null = null;
  const stores: FeatureStore[] = [];
  serveExtraction(
    { postMessage: (m) => replies.push(m), addEventListener: (_type, l) => void (listener = l) },
    {
      openStore: async (identity) => {
        const store = stores[0] ?? new MemoryFeatureStore(identity);
        stores[0] = store;
        return store;
      },
      decode: decodeImageJsAsync,
    },
  );
  const send = (data: ToExtractWorker): void => listener!({ data });
  const until = async (type: FromExtractWorker['type']): Promise<FromExtractWorker> => {
    for (;;) {
      const found = replies.find((r) => r.type === type || r.type === 'failed');
      if (found) return found;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { replies, send, until, stores };
}

const png = (i: number): Blob =>
  new Blob([encodePng({ width: 8, height: 8, data: new Uint8Array(192).fill(i * 40), channels: 3 }) as Uint8Array<ArrayBuffer>]);

describe('extraction worker protocol', () => {
  it('start → ready, progress, done with skipped images; features land in the store', async () => {
    const worker = fakeWorker();
    worker.send({
      type: 'start',
      backbone: 'mobilenet',
      weights: { kind: 'random', seed: 1 },
      alpha: 0.25,
      images: [
        { name: 'a.png', blob: png(1) },
        { name: 'b.png', blob: png(2) },
        { name: 'bad.png', blob: new Blob(['nope']) },
      ],
      batchSize: 2,
    });
    const done = await worker.until('done');
    expect(done).toMatchObject({ type: 'done', computed: 2, cached: 0, skipped: [{ name: 'bad.png' }] });
    const ready = worker.replies.find((r) => r.type === 'ready');
    expect(ready).toMatchObject({ identity: { backboneId: 'mobilenet_v1_0.25_224', weights: 'random', featureDim: 256 } });
    expect(worker.replies.filter((r) => r.type === 'progress').length).toBeGreaterThanOrEqual(2);
    expect((await worker.stores[0].names()).size).toBe(2);
    expect(tf.memory().numTensors).toBe(0);
  });

  it('a bad weights URL fails with a serialized error, not a crash', async () => {
    const worker = fakeWorker();
    worker.send({ type: 'start', backbone: 'vgg16', weights: { kind: 'url', url: 'http://127.0.0.1:9/model.json' }, images: [] });
    const failed = await worker.until('failed');
    expect(failed.type).toBe('failed');
    expect((failed as { error: { name: string; message: string } }).error.message).toMatch(/cannot read the weights folder/);
  });
});
