/**
 * The studio store without a browser: a fresh store per test, the demo dataset generated in-process, object
 * URLs faked so their creation and revocation can be counted.
 */
import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../src/core/data/folders.ts';
import { generateDemoDataset } from '../../../src/core/data/demo.ts';
import { createStudioStore } from '../../../src/store/studioStore.ts';
import { testStore } from '../../support/studioStore.ts';
import { SAMPLE_COUNT } from '../../../src/store/slices/dataset.ts';
import { warningsToCsv, warningsToJson } from '../../../src/store/warningsExport.ts';

const storeWithFakes = () => testStore();

const brokenFolder = () =>
  memoryFolder('broken', {
    'captions.txt': 'image,caption\ngood.png,a red circle\ngood.png,\nghost.png,a caption without an image\n',
    'Images/good.png': generateDemoDataset({ images: 10, seed: 3 })['Images/demo_0001.png'] as Uint8Array,
  });

describe('studio store: dataset slice', () => {
  it('starts empty, on the Dataset panel', () => {
    const { store } = storeWithFakes();
    const state = store.getState();
    expect(state.activePanel).toBe('dataset');
    expect(state.datasetStatus).toBe('empty');
    expect(state.stats).toBeNull();
    state.setActivePanel('training');
    expect(store.getState().activePanel).toBe('training');
  });

  it('loads the demo dataset: statistics, samples with object URLs, no warnings, plain data only', async () => {
    const { store, live } = storeWithFakes();
    await store.getState().loadDemo({ images: 30, seed: 5 });
    const state = store.getState();
    expect(state.datasetStatus).toBe('ready');
    expect(state.datasetSource).toEqual({ kind: 'demo', name: 'demo (30 images, seed 5)', demo: { images: 30, seed: 5 } });
    expect(state.datasetFormat).toBe('kaggle-csv');
    expect(state.stats?.images).toBe(30);
    expect(state.stats?.captions).toBe(150);
    expect(state.stats?.imageDimensions?.measured).toBe(30);
    expect(state.warnings).toEqual([]);
    expect(state.samples.length).toBe(SAMPLE_COUNT);
    expect(state.samples.every((sample) => sample.url !== null && live.has(sample.url))).toBe(true);
    expect(live.size).toBe(SAMPLE_COUNT);
    expect(state.loadedFolder()?.dataset.images).toHaveLength(30);
    // Everything in the state is data (functions are the actions): it survives a JSON round trip.
    const data = Object.fromEntries(Object.entries(state).filter(([, value]) => typeof value !== 'function'));
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
  });

  it('switches the protocol without reloading: kaggle has no validation split', async () => {
    const { store } = storeWithFakes();
    await store.getState().loadDemo({ images: 40, seed: 2 });
    expect(store.getState().stats?.splits.val).toBeGreaterThan(0);
    store.getState().setProtocol('kaggle');
    const state = store.getState();
    expect(state.protocol).toBe('kaggle');
    expect(state.stats?.protocol).toBe('kaggle');
    expect(state.stats?.splits.val).toBe(0);
    expect(state.stats?.splits.train).toBe(36);
  });

  it('revokes the old sample URLs when another dataset replaces them, and on clear', async () => {
    const { store, live } = storeWithFakes();
    await store.getState().loadDemo({ images: 20, seed: 1 });
    const first = store.getState().samples.map((sample) => sample.url);
    await store.getState().loadDemo({ images: 20, seed: 9 });
    for (const url of first) expect(live.has(url as string)).toBe(false);
    expect(live.size).toBe(store.getState().samples.length);
    store.getState().clearDataset();
    expect(live.size).toBe(0);
    expect(store.getState().datasetStatus).toBe('empty');
  });

  it('keeps only the newest of two overlapping loads', async () => {
    const { store, live } = storeWithFakes();
    const older = store.getState().loadDemo({ images: 60, seed: 1 });
    const newer = store.getState().loadFolder(brokenFolder());
    await Promise.all([older, newer]);
    const state = store.getState();
    expect(state.datasetSource?.name).toBe('broken');
    expect(state.stats?.images).toBe(2);
    expect(live.size).toBe(state.samples.length);
  });

  it('lists the problems of a usable but broken folder with file and line', async () => {
    const { store } = storeWithFakes();
    await store.getState().loadFolder(brokenFolder());
    const { datasetStatus, warnings } = store.getState();
    expect(datasetStatus).toBe('ready');
    expect(warnings.find((warning) => warning.code === 'empty-caption')).toMatchObject({ file: 'captions.txt', line: 3 });
    expect(warnings.some((warning) => warning.file === 'captions.txt' && warning.line === 4 && warning.message.includes('ghost.png'))).toBe(true);
  });

  it('reports an unusable folder as an error saying what was looked for, without throwing', async () => {
    const { store } = storeWithFakes();
    await store.getState().loadFolder(memoryFolder('holiday', { 'notes.txt': 'hello' }));
    const state = store.getState();
    expect(state.datasetStatus).toBe('error');
    expect(state.datasetError).toContain('captions.txt');
    expect(state.stats).toBeNull();
  });

  it('reports a failing demo generator as an error', async () => {
    const store = createStudioStore({
      objectUrls: null,
      generateDemo: async () => {
        throw new Error('worker died');
      },
    });
    await store.getState().loadDemo();
    expect(store.getState().datasetStatus).toBe('error');
    expect(store.getState().datasetError).toContain('worker died');
  });
});

describe('warnings export', () => {
  const warnings = [
    { file: 'captions.txt', line: 7, code: 'unparsable-line', message: 'line has "quotes", and a comma' },
    { file: 'Images/x.png', code: 'not-image', message: 'not an image' },
  ];

  it('writes RFC 4180 CSV with a header, quoted fields and empty lines for missing line numbers', () => {
    expect(warningsToCsv(warnings)).toBe(
      'file,line,code,message\r\n' +
        'captions.txt,7,unparsable-line,"line has ""quotes"", and a comma"\r\n' +
        'Images/x.png,,not-image,not an image\r\n',
    );
  });

  it('writes JSON with null for a missing line', () => {
    expect(JSON.parse(warningsToJson(warnings))).toEqual([
      { file: 'captions.txt', line: 7, code: 'unparsable-line', message: 'line has "quotes", and a comma' },
      { file: 'Images/x.png', line: null, code: 'not-image', message: 'not an image' },
    ]);
  });
});
