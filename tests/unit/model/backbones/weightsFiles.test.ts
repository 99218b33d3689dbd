/**
 * Weights picked as files in the page (a file set, or every file of a picked folder) are read by model.json's
 * manifest: the converter's extension-less shards (`group1-shard1of1`, as in ../shared's MobileNet folder) are
 * taken, other files are ignored, and a shard that was not picked is named. Node 20 has the browser's File.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readWeights } from '../../../../src/model/backbones/loadWeights.ts';
import { nodeWeights } from '../../../../src/model/backbones/loadWeightsNode.ts';
import { skipUnlessPresent } from '../../../prerequisites.ts';
import { sharedDir } from '../../../paths.ts';

const modelDir = join(sharedDir, 'models', 'mobilenet_v1_0.25_224');

async function folderFiles(): Promise<File[]> {
  const names = (await readdir(modelDir)).sort();
  return Promise.all(names.map(async (name) => new File([await readFile(join(modelDir, name))], name)));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.skipIf(skipUnlessPresent(existsSync(join(modelDir, 'model.json')) ? '' : `${modelDir} is absent (needs ../shared)`, '../shared MobileNet weights'))('weights picked as files, read by the manifest', () => {
  it('takes the extension-less shards of the shared MobileNet folder as they are: same weights as from disk', async () => {
    const files = await folderFiles();
    expect(files.some((f) => /^group\d+-shard\d+of\d+$/.test(f.name))).toBe(true);
    const picked = await readWeights({ kind: 'files', files: [...files, new File(['notes'], 'README.txt')] });
    const fromDisk = await readWeights(nodeWeights(modelDir));
    expect(picked.weightsId).toBe(fromDisk.weightsId);
    expect(Object.keys(picked.tensors).sort()).toEqual(Object.keys(fromDisk.tensors).sort());
    tf.dispose([...Object.values(picked.tensors), ...Object.values(fromDisk.tensors)]);
  });

  it('names a shard that model.json lists but was not picked', async () => {
    const files = (await folderFiles()).filter((f) => f.name !== 'group7-shard1of1');
    await expect(readWeights({ kind: 'files', files })).rejects.toThrow('model.json names group7-shard1of1, which is not among the files you picked');
  });

  it('says when no model.json was picked', async () => {
    const files = (await folderFiles()).filter((f) => f.name !== 'model.json');
    await expect(readWeights({ kind: 'files', files })).rejects.toThrow(/none of the \d+ files you picked is a model\.json/);
  });
});
