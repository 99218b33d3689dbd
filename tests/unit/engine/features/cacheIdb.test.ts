import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { FeatureIdentity } from '../../../../src/model/backbones/types.ts';
import { IdbFeatureStore } from '../../../../src/engine/features/cacheIdb.ts';

const identity: FeatureIdentity = {
  backbone: 'vgg16',
  backboneId: 'vgg16',
  weights: { kind: 'files', location: 'model.json + 132 shard file(s)' },
  weightsId: 'sha256:0123',
  featureDim: 2,
  inputSize: 224,
};

describe('IndexedDB feature store (browser cache)', () => {
  it('keeps vectors by content across reopen, per identity, with every name seen', async () => {
    const dbName = 'features-test-1';
    const store = await IdbFeatureStore.open(identity, dbName);
    await store.put([
      { name: 'a.jpg', sha256: 'aa', features: new Float32Array([1, 2]) },
      { name: 'b.jpg', sha256: 'bb', features: new Float32Array([3, 4]) },
    ]);
    await store.put([{ name: 'copy-of-a.jpg', sha256: 'aa', features: new Float32Array([1, 2]) }]);
    await store.close();

    const reopened = await IdbFeatureStore.open(identity, dbName);
    const found = await reopened.getByHash(['aa', 'bb', 'cc']);
    expect([...found.keys()]).toEqual(['aa', 'bb']);
    expect(Array.from(found.get('bb')!)).toEqual([3, 4]);
    expect(await reopened.names()).toEqual(new Map([['a.jpg', 'aa'], ['copy-of-a.jpg', 'aa'], ['b.jpg', 'bb']]));
    expect(await reopened.count()).toBe(2);

    // Other weights: same images, nothing cached; clearing one identity leaves the other.
    const other = await IdbFeatureStore.open({ ...identity, weights: 'random', weightsId: 'random:42' }, dbName);
    expect((await other.getByHash(['aa'])).size).toBe(0);
    await other.put([{ name: 'a.jpg', sha256: 'aa', features: new Float32Array([9, 9]) }]);
    await reopened.clear();
    expect(await reopened.count()).toBe(0);
    expect(Array.from((await other.getByHash(['aa'])).get('aa')!)).toEqual([9, 9]);
    await reopened.close();
    await other.close();
  });
});
