/**
 * The studio store with the real Flickr8K subset in ../shared/datasets/flickr8k (captions.txt for all 8091
 * images, the official split files, 100 JPEGs of the test split), as a person loading that folder sees it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupProblems } from '../../../src/core/data/problems.ts';
import { nodeFolder } from '../../../src/engine/platform/nodeFolder.ts';
import type { StudioStore } from '../../../src/store/studioStore.ts';
import { warningsToCsv, warningsToJson } from '../../../src/store/warningsExport.ts';
import { sharedDir } from '../../paths.ts';
import { skipUnlessPresent } from '../../prerequisites.ts';
import { testStore } from '../../support/studioStore.ts';

const DATA_DIR = resolve(sharedDir, 'datasets', 'flickr8k');
const missing = existsSync(resolve(DATA_DIR, 'captions.txt')) ? '' : `real Flickr8K data not found at ${DATA_DIR}`;

describe.skipIf(skipUnlessPresent(missing, '../shared Flickr8K'))('studio store with the real Flickr8K subset', () => {
  let store: StudioStore;
  beforeAll(async () => {
    store = testStore().store;
    await store.getState().loadFolder(nodeFolder(DATA_DIR));
  });

  it('keeps every warning for the download, and reads the 7,991 absent images as one line with examples', () => {
    const { warnings, stats, datasetStatus } = store.getState();
    expect(datasetStatus).toBe('ready');
    expect(warnings).toHaveLength(stats!.warnings.total);
    expect(warnings.filter((w) => w.code === 'image-missing')).toHaveLength(7991);
    // Every warning about captions.txt names its line.
    expect(warnings.filter((w) => w.file === 'captions.txt').every((w) => typeof w.line === 'number')).toBe(true);
    const groups = groupProblems(warnings);
    expect(groups.map((g) => [g.code, g.count])).toEqual([
      ['duplicate-caption', 10],
      ['image-missing', 7991],
      ['not-in-split', 91],
    ]);
    expect(groups[1].message).toMatch(/^7,991 images named in captions\.txt are not in the folder .*: 1000268201_693b08cb0e\.jpg, .*, …$/);
    // The downloads hold them all, one per row.
    expect(warningsToCsv(warnings).trimEnd().split('\r\n')).toHaveLength(warnings.length + 1);
    expect(JSON.parse(warningsToJson(warnings))).toHaveLength(warnings.length);
  });
});
