/**
 * export-run / import-run without PyTorch: what the run folder holds (the .npy arrays against the dataset,
 * the seeded initial weights, the one copy of train_ddp.py), a checkpoint in train_ddp.py's layout made
 * here going back into a studio model folder, and every bad input as one line naming the file, exit 1,
 * nothing written.
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/main';
import { nodeFolder } from '../../../../src/engine/platform/nodeFolder';
import { initialWeights, paramSpecs, type CaptionModelConfig } from '../../../../src/model/captionModel';
import { loadCaptionModel } from '../../../../src/model/weightsIo';
import { encodeHeader, encodeRecords, makeHeader } from '../../../../src/engine/features/cache';
import { readFeatureFile } from '../../../../src/engine/features/cacheNode';
import { decodeNpy, encodeNpy } from '../../../../src/engine/scaleOut/npy';
import { readTrainDdpScript } from '../../../../src/engine/scaleOut/nodeFiles';
import { CHECKPOINT_FORMAT, type RunDescription } from '../../../../src/engine/scaleOut/runFormat';
import { parseDdpLog, summarizeDdpLog } from '../../../../src/engine/scaleOut/runLog';
import { makeCliFolder, recordingIo, removeCliFolder } from '../../cli/fixture';

let dir: string;
let run: RunDescription;
let exportErr: string;
const io = () => recordingIo(dir);
const exists = (path: string) => stat(join(dir, path)).then(() => true, () => false);
const npy = async (path: string) => decodeNpy(new Uint8Array(await readFile(join(dir, path))), path);

/** Runs a command that must fail as bad input: exit 1, one line naming `names`, `out` not created. */
async function badInput(args: string[], names: RegExp, out: string): Promise<string> {
  const r = io();
  expect(await main(args, r.io)).toBe(1);
  const text = r.err.join('').trim();
  expect(text.split('\n'), text).toHaveLength(1);
  expect(text).toMatch(names);
  expect(await exists(out)).toBe(false);
  return text;
}

/** Writes a checkpoint as train_ddp.py lays it out: weights, Adam moments, state.json. */
async function writeCheckpoint(runDir: string, epoch: number, weights: Float32Array[], shapes: number[][], state: Record<string, unknown> = {}) {
  const base = join(dir, runDir, 'checkpoints', `epoch_${String(epoch).padStart(4, '0')}`);
  for (const folder of ['weights', 'adam_m', 'adam_v']) {
    for (const [i, p] of run.params.entries()) {
      const file = join(base, folder, ...`${p.name}.npy`.split('/'));
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, encodeNpy(folder === 'weights' ? weights[i] : new Float32Array(weights[i].length).fill(0.5), shapes[i]));
    }
  }
  await writeFile(join(base, 'state.json'), JSON.stringify({ format: CHECKPOINT_FORMAT, version: 1, runId: run.runId, epoch, step: 7, adamStep: 7, worldSize: 2, precision: 'float32', ...state }));
}

describe('export-run and import-run', () => {
  beforeAll(async () => {
    dir = await makeCliFolder('cs-scaleout-');
    const r = io();
    const code = await main(['export-run', 'demo', '--features', 'features.bin', '--out', 'run', '--epochs', '3', '--batch', '8', '--units', '16', '--embed', '8', '--seed', '11', '--json'], r.io);
    expect(code, r.err.join('')).toBe(0);
    exportErr = r.err.join('');
    run = JSON.parse(await readFile(join(dir, 'run', 'run.json'), 'utf8'));
  });
  afterAll(() => removeCliFolder(dir));

  it('writes the dataset as .npy arrays in the image order, with splits and every caption', async () => {
    const features = await readFeatureFile(join(dir, 'features.bin'));
    const names: string[] = JSON.parse(await readFile(join(dir, 'run', 'image_names.json'), 'utf8'));
    const table = await npy('run/features.npy');
    expect(table.shape).toEqual([names.length, 16]);
    names.forEach((name, i) => expect(Array.from(table.data.subarray(i * 16, (i + 1) * 16))).toEqual(Array.from(features.features.get(name)!)));
    const splits = await Promise.all(['train', 'val', 'test'].map((s) => npy(`run/split_${s}.npy`)));
    expect(splits.map((s) => s.data.length)).toEqual([28, 6, 6]);
    expect(run.data).toMatchObject({ images: 40, train: 28, val: 6, test: 6 });
    const offsets = await npy('run/caption_offsets.npy');
    const tokens = await npy('run/caption_tokens.npy');
    const image = await npy('run/caption_image.npy');
    expect(offsets.data.length).toBe(image.data.length + 1);
    expect(offsets.data[offsets.data.length - 1]).toBe(tokens.data.length);
    // every caption starts and ends with the markers
    for (let k = 0; k < image.data.length; k++) {
      expect(tokens.data[offsets.data[k]]).toBe(run.data.startId);
      expect(tokens.data[offsets.data[k + 1] - 1]).toBe(run.data.endId);
    }
    // What was given stays; the rest is the data's default, as `train` takes it (28 training images of 16-d
    // features: learning rate 0.005, no dropout), and stderr says so.
    expect(run.train).toMatchObject({ epochs: 3, batchSize: 8, seed: 11, layout: 'sequence', precision: 'float32', learningRate: 0.005, dropout: 0, adam: { epsilon: 1e-7 } });
    expect(exportErr).toContain('export-run: 3 epochs, batch 8, learning rate 0.005, dropout 0 (defaults for 28 training images and 16-d features where not given)');
  });

  it('writes the seeded initial weights under their Keras names, run.json lists every file, and train_ddp.py is the repository copy', async () => {
    const config: CaptionModelConfig = { ...run.model, dropout: 0.4 };
    const expected = initialWeights(config, 11);
    expect(run.params.map((p) => p.name)).toEqual(paramSpecs(config).map((s) => s.name));
    for (const [i, p] of run.params.entries()) {
      const array = await npy(`run/${p.file}`);
      expect(array.shape).toEqual(p.shape);
      expect(array.data).toEqual(expected[i]);
    }
    for (const [file, bytes] of Object.entries(run.files)) expect((await stat(join(dir, 'run', file))).size).toBe(bytes);
    expect(await readFile(join(dir, 'run', 'train_ddp.py'), 'utf8')).toBe(await readTrainDdpScript());
    expect(run.runId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses features of another dataset, a missing feature, and an occupied --out; nothing written', async () => {
    const header = makeHeader({ backbone: 'mobilenet', backboneId: 'demo-attributes', weights: 'random', weightsId: 'random:0', featureDim: 16, inputSize: 224 });
    const features = await readFeatureFile(join(dir, 'features.bin'));
    const records = (entries: [string, Float32Array][]) => Buffer.concat([encodeHeader(header), encodeRecords(entries.map(([name, f]) => ({ name, sha256: '00'.repeat(32), features: f })), 16)]);
    const all = [...features.features];
    await writeFile(join(dir, 'other.bin'), records(all.map(([name, f]) => [`other_${name}`, f])));
    await writeFile(join(dir, 'partial.bin'), records(all.slice(1)));
    await badInput(['export-run', 'demo', '--features', 'other.bin', '--out', 'r1'], /other\.bin.*another dataset/, 'r1');
    await badInput(['export-run', 'demo', '--features', 'partial.bin', '--out', 'r2'], new RegExp(`partial\\.bin: 1 of 40 images .*${all[0][0].replace('.', '\\.')}`), 'r2');
    await badInput(['export-run', 'demo', '--features', 'nope.bin', '--out', 'r3'], /nope\.bin/, 'r3');
    const r = io();
    expect(await main(['export-run', 'demo', '--features', 'features.bin', '--out', 'run'], r.io)).toBe(1);
    expect(r.err.join('')).toMatch(/run: the folder exists and is not empty/);
  });

  it('import-run turns a checkpoint into a model folder that loads, carries the run and resumes', async () => {
    await cp(join(dir, 'run'), join(dir, 'run-ok'), { recursive: true });
    const config: CaptionModelConfig = { ...run.model, dropout: 0.4 };
    const weights = initialWeights(config, 99);
    await writeCheckpoint('run-ok', 1, initialWeights(config, 98), run.params.map((p) => p.shape));
    await writeCheckpoint('run-ok', 2, weights, run.params.map((p) => p.shape));
    const log = [
      { event: 'start', runId: run.runId, worldSize: 2, backend: 'gloo', device: 'cpu', precision: 'float32', layout: 'sequence', batchSize: 8, epochs: 3, torch: '1.13' },
      ...[1, 2, 3].map((step) => ({ event: 'step', epoch: 1, step, loss: 4 - step / 10, tokens: 100, durationMs: 10, tokensPerSecond: 1000 * step, worldSize: 2 })),
    ];
    await writeFile(join(dir, 'run-ok', 'train_log.jsonl'), `${log.map((l) => JSON.stringify(l)).join('\n')}\n{"event": "st`);
    const r = io();
    expect(await main(['import-run', 'run-ok', '--out', 'model', '--json'], r.io), r.err.join('')).toBe(0);
    const summary = JSON.parse(r.out.join(''));
    expect(summary).toMatchObject({ epoch: 2, step: 7, worldSize: 2, runId: run.runId, log: { replicas: 2, steps: 3, medianTokensPerSecond: 2500, ended: 'stopped' } });
    const loaded = await loadCaptionModel(nodeFolder(join(dir, 'model')));
    expect(loaded.config).toMatchObject(run.model);
    loaded.weights.forEach((w, i) => expect(w).toEqual(weights[i]));
    expect(loaded.meta).toMatchObject({ protocol: 'standard', epochsTrained: 2, trainedWith: { engine: 'pytorch-ddp', worldSize: 2 }, features: { backboneId: 'demo-attributes' } });
    expect(await exists('model/optimizer.bin')).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'model', 'trainer.json'), 'utf8'))).toMatchObject({ epoch: 2, step: 7, adamStep: 7 });
    // the studio's own trainer goes on from it
    const resumed = io();
    const code = await main(['train', 'demo', '--features', 'features.bin', '--out', 'model', '--epochs', '3', '--batch', '8', '--units', '16', '--embed', '8', '--val-sample', '0', '--resume', '--json'], resumed.io);
    expect(code, resumed.err.join('')).toBe(0);
    expect(JSON.parse(resumed.out.join(''))).toMatchObject({ epochs: 3, steps: Math.ceil(28 / 8) });
    // an older epoch on request
    const older = io();
    expect(await main(['import-run', 'run-ok', '--out', 'model-1', '--epoch', '1'], older.io)).toBe(0);
    expect(older.out.join('')).toMatch(/imported epoch 1 \(step 7, 2 ranks, median 2500 tokens\/s/);
  });

  it('import-run refuses a foreign folder, an incomplete run, no checkpoint, another run or vocabulary, a diverged checkpoint; nothing written', async () => {
    await badInput(['import-run', 'demo', '--out', 'm1'], /demo: no run\.json here/, 'm1');
    await badInput(['import-run', 'run', '--out', 'm2'], /run\/checkpoints: no checkpoint yet/, 'm2');
    await cp(join(dir, 'run'), join(dir, 'run-bad'), { recursive: true });
    await rm(join(dir, 'run-bad', 'caption_tokens.npy'));
    await badInput(['import-run', 'run-bad', '--out', 'm3'], /run-bad\/caption_tokens\.npy: missing \(run\.json lists it\)/, 'm3');
    await writeFile(join(dir, 'run-bad', 'caption_tokens.npy'), 'truncated');
    await badInput(['import-run', 'run-bad', '--out', 'm3'], /run-bad\/caption_tokens\.npy: 9 bytes, run\.json says/, 'm3');
    await writeFile(join(dir, 'run-bad', 'run.json'), '{"format": "something-else"}');
    await badInput(['import-run', 'run-bad', '--out', 'm3'], /run-bad\/run\.json: not a caption-studio run/, 'm3');

    const config: CaptionModelConfig = { ...run.model, dropout: 0.4 };
    const shapes = run.params.map((p) => p.shape);
    await cp(join(dir, 'run'), join(dir, 'run-vocab'), { recursive: true });
    const wider = { ...config, vocabSize: config.vocabSize + 3 };
    await writeCheckpoint('run-vocab', 1, initialWeights(wider, 1), paramSpecs(wider).map((s) => s.shape));
    await badInput(['import-run', 'run-vocab', '--out', 'm4'], /run-vocab\/checkpoints\/epoch_0001\/weights\/embedding\/embeddings\.npy: shape \[\d+,8\], .*another vocabulary/, 'm4');

    await cp(join(dir, 'run'), join(dir, 'run-foreign'), { recursive: true });
    await writeCheckpoint('run-foreign', 1, initialWeights(config, 1), shapes, { runId: '0123456789abcdef' });
    await badInput(['import-run', 'run-foreign', '--out', 'm5'], /state\.json: a checkpoint of another run/, 'm5');

    await cp(join(dir, 'run'), join(dir, 'run-nan'), { recursive: true });
    const diverged = initialWeights(config, 1);
    diverged[7][0] = NaN;
    await writeCheckpoint('run-nan', 1, diverged, shapes);
    await badInput(['import-run', 'run-nan', '--out', 'm6'], /weights\/dense_1\/bias\.npy: holds NaN/, 'm6');

    await cp(join(dir, 'run'), join(dir, 'run-f64'), { recursive: true });
    await writeCheckpoint('run-f64', 1, initialWeights(config, 1), shapes);
    const f64 = join(dir, 'run-f64', 'checkpoints', 'epoch_0001', 'weights', 'lstm', 'bias.npy');
    await writeFile(f64, (await readFile(f64, 'latin1')).replace("'<f4'", "'<f8'"), 'latin1');
    await badInput(['import-run', 'run-f64', '--out', 'm7'], /lstm\/bias\.npy: dtype '<f8' is not supported/, 'm7');
  });
});

describe('.npy and the DDP log', () => {
  it('round-trips float32 and int32 with numpy\'s 64-byte header alignment, and names the file on a bad one', () => {
    const bytes = encodeNpy(Float32Array.from([1, 2.5, -3, 4, 5, 6]), [2, 3]);
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLength) % 64).toBe(0);
    expect(decodeNpy(bytes, 'a.npy')).toEqual({ dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2.5, -3, 4, 5, 6]) });
    expect(decodeNpy(encodeNpy(Int32Array.from([7]), [1]), 'b.npy')).toEqual({ dtype: 'int32', shape: [1], data: Int32Array.from([7]) });
    expect(() => decodeNpy(new TextEncoder().encode('hello world'), 'c.npy')).toThrow(/c\.npy: not a \.npy file/);
    expect(() => decodeNpy(bytes.subarray(0, bytes.length - 4), 'd.npy')).toThrow(/d\.npy: shape \(2, 3\) needs 24 data bytes, the file holds 20/);
    const text = new TextDecoder('latin1').decode(bytes).replace("'<f4'", "'<f8'");
    expect(() => decodeNpy(Uint8Array.from(text, (c) => c.charCodeAt(0)), 'e.npy')).toThrow(/e\.npy: dtype '<f8' is not supported/);
  });

  it('reads the last session of a log, ignores a torn last line and names the line of a bad one', () => {
    const start = (n: number) => JSON.stringify({ event: 'start', runId: 'x', worldSize: n, backend: 'gloo', device: 'cpu', precision: 'float32', layout: 'sequence', batchSize: 4, epochs: 1, torch: '1.13' });
    const step = (loss: number) => JSON.stringify({ event: 'step', epoch: 1, step: 1, loss, tokens: 10, durationMs: 5, tokensPerSecond: 2000, worldSize: 2 });
    const log = parseDdpLog([start(1), step(3), start(2), step(2), step(1), '{"event": "end", "epochs": 1, "steps": 2, "worldSize": 2}', '{"ev'].join('\n'), 'train_log.jsonl');
    expect(log).toMatchObject({ sessions: 2, finished: true, start: { worldSize: 2 } });
    expect(summarizeDdpLog(log)).toMatchObject({ replicas: 2, steps: 2, finalLoss: 1.5, medianTokensPerSecond: 2000, ended: 'finished', backend: 'PyTorch DDP (gloo, cpu)' });
    expect(() => parseDdpLog([start(1), 'oops', step(1)].join('\n'), 'train_log.jsonl')).toThrow(/not a JSON line/);
    try {
      parseDdpLog([start(1), 'oops', step(1)].join('\n'), 'train_log.jsonl');
    } catch (error) {
      expect(error).toMatchObject({ file: 'train_log.jsonl', line: 2 });
    }
  });
});
