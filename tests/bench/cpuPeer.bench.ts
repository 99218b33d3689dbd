/**
 * The studio's CPU training against the PyTorch peer a student would otherwise run, side by side in one
 * sitting (issue 17, item 2):
 *   `npx tsx tests/bench/cpuPeer.bench.ts [--images 64] [--steps 3] [--rounds 2] [--baseline DIR]`
 *
 * One model and one set of batches on both sides: the notebook's model (4096-d features → Dense 256;
 * Embedding 256 → LSTM 256; Dense 256; Dense vocab, dropout 0.4) with the seeded initial weights, the real
 * Flickr8K captions in the kaggle protocol (../shared; synthetic captions of Flickr8K-like lengths without
 * it), whole-caption teacher forcing padded to each batch's longest caption, Adam (Keras' update).
 * Default batch: the CLI's default for Flickr8K (defaultTrainConfigFor: 64 images × 5 captions).
 *
 * Rows, interleaved round by round (each row runs `--steps` timed steps per round after one untimed warm-up):
 * - studio, 1 replica on this thread (wasm): the CLI's training step (CaptionReplicaModel.trainStep, as
 *   InProcessTrainer runs it; the batch is built inside the timed step);
 * - studio, 2 replicas (wasm worker threads, ring all-reduce): MirroredTrainer as `train --replicas 2` runs it;
 * - studio in the page: the studio's default on a machine without a hardware GPU, one replica in a Web Worker
 *   of a cross-origin isolated page in headless Debian Chromium, wasm (tests/bench/browser/cpuPeerWorker.ts:
 *   the same step, weights and batches); skipped with the reason when Chromium is not installed;
 * - PyTorch (CPU, OpenBLAS): tests/bench/torchPeer.py, train_ddp.py's own model, Adam and batch building,
 *   when python3 with torch is there (the line says so when it is not): with torch.nn.LSTM over packed
 *   sequences (what a student writing PyTorch runs; the peer of the ratio column) on 2 threads and on 1, and
 *   train_ddp.py's step-by-step KerasLSTM as it is on 2 threads (its per-step slices cost a zero-filled copy
 *   of the whole projection in backward, so it is far slower than nn.LSTM on a CPU);
 * - with --baseline DIR: the 1-replica step of another checkout (e.g. the commit before a change), for
 *   before/after in the same sitting.
 * tokens/s = real target tokens / summed step time; the ratio column is each row over the PyTorch 2-thread
 * row. The load average is printed: on a shared machine only ratios within one sitting mean anything.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { useNodeBackend } from '../../src/engine/platform/nodeBackend';
import { encodeNpy } from '../../src/engine/scaleOut/npy';
import { defaultTrainConfigFor } from '../../src/engine/training/trainer';
import { imageTokenCounts, makeCaptionBatch, sliceCaptionBatch, type CaptionBatch } from '../../src/model/batches';
import { initialWeights, paramSpecs } from '../../src/model/captionModel';
import { prepareBatch } from '../../src/model/gradients';
import { chooseModelKernels } from '../../src/model/kernelChoice';
import { CaptionReplicaModel, type CaptionReplicaOptions } from '../../src/model/replicaStep';
import { benchReplicas } from './replicas.bench';
import { benchCaptions, benchFeatures, notebookModel } from './trainingSteps';
import { chromiumMissing } from '../e2e/harness/index.ts';
import { openBenchPage } from './browser/serve';
import type { CpuPeerAnswer, CpuPeerRequest } from './browser/cpuPeerWorker';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const flickrDefaults = defaultTrainConfigFor({ trainImages: 6000, featureDim: 4096 });
const imagesPerStep = Number(arg('images', String(flickrDefaults.batchSize)));
const steps = Number(arg('steps', '3'));
const rounds = Number(arg('rounds', '2'));
const baselineDir = args.includes('--baseline') ? resolve(arg('baseline', '')) : null;
const learningRate = flickrDefaults.learningRate;

// Batch 0 warms up; batches 1..steps are timed (the same batches every round, on every row).
const data = await benchCaptions(imagesPerStep * (steps + 1));
const config = notebookModel(data.vocabSize, data.maxLength);
const featuresOf = (image: number) => benchFeatures(image, config.featureDim);
const batchImages = Array.from({ length: steps + 1 }, (_, s) => Array.from({ length: imagesPerStep }, (_, i) => s * imagesPerStep + i));
const batchOf = (s: number): CaptionBatch =>
  makeCaptionBatch(batchImages[s].map((image) => ({ features: featuresOf(image), captions: data.captions[image] })), config.featureDim);
const tokensOf = (s: number) => imageTokenCounts(batchOf(s)).reduce((a, b) => a + b, 0);
const timedTokens = Array.from({ length: steps }, (_, k) => tokensOf(k + 1)).reduce((a, b) => a + b, 0);

interface Row {
  name: string;
  /** Summed ms of the timed steps, one entry per round. */
  totalMs: number[];
}
const rows: Row[] = [];
const row = (name: string) => rows.find((r) => r.name === name) ?? (rows.push({ name, totalMs: [] }), rows[rows.length - 1]);

await useNodeBackend('wasm');
const options: CaptionReplicaOptions = { config, layout: 'sequence', learningRate, seed: 1 };

/** The CLI's one-replica step from a checkout's src/model (this one or --baseline's). */
async function inProcessRow(name: string, root: string): Promise<void> {
  const [{ CaptionReplicaModel: Model }, kernelChoice, gradients] = (await Promise.all([
    import(join(root, 'src/model/replicaStep.ts')),
    import(join(root, 'src/model/kernelChoice.ts')),
    import(join(root, 'src/model/gradients.ts')),
  ])) as [{ CaptionReplicaModel: typeof CaptionReplicaModel }, { chooseModelKernels: typeof chooseModelKernels }, { prepareBatch: typeof prepareBatch }];
  await kernelChoice.chooseModelKernels({ fusedKernels: true, precision: 'float32' });
  const replica = new Model(options);
  let total = 0;
  for (let s = 0; s <= steps; s++) {
    const batch = batchOf(s);
    const start = performance.now();
    await replica.trainStep(gradients.prepareBatch(batch, config, 'sequence'), s);
    if (s > 0) total += performance.now() - start;
  }
  replica.dispose();
  row(name).totalMs.push(total);
}

async function mirroredRow(replicas: number): Promise<void> {
  const [result] = await benchReplicas({
    replicaCounts: [replicas],
    steps,
    warmupSteps: 1,
    allReduce: 'ring',
    workload: { model: { kind: 'caption', options }, batch: batchOf, exampleTokens: imageTokenCounts, slice: sliceCaptionBatch },
  });
  row(`studio: ${replicas} replicas (wasm worker threads, ring all-reduce)`).totalMs.push((timedTokens * 1000) / result.tokensPerSecond);
}

/** The page row: one replica in a worker of the bench page (a fresh worker each round). */
const benchPage = chromiumMissing ? null : await openBenchPage('mode=cpu-peer');
let pageBackend = '';
async function pageRow(): Promise<void> {
  const request: CpuPeerRequest = { vocabSize: config.vocabSize, maxLength: config.maxLength, learningRate, captions: data.captions, batches: batchImages };
  await benchPage!.page.waitForFunction(() => typeof (window as { cpuPeerRow?: unknown }).cpuPeerRow === 'function');
  const answer = await benchPage!.page.evaluate((r) => (window as unknown as { cpuPeerRow: (r: CpuPeerRequest) => Promise<CpuPeerAnswer> }).cpuPeerRow(r), request);
  if ('error' in answer) throw new Error(`the page's worker failed: ${answer.error}`);
  pageBackend = answer.backend;
  row(`studio in the page: 1 replica in a worker (Chromium, ${answer.backend}; the studio default without a GPU)`).totalMs.push(answer.totalMs);
}

// The peer's input folder: the same weights, features, captions and batches.
const peerDir = mkdtempSync(join(os.tmpdir(), 'cpu-peer-'));
const specs = paramSpecs(config);
initialWeights(config, 1).forEach((w, i) => writeFileSync(join(peerDir, `${i}.npy`), encodeNpy(w, specs[i].shape)));
const allImages = imagesPerStep * (steps + 1);
const features = new Float32Array(allImages * config.featureDim);
for (let i = 0; i < allImages; i++) features.set(featuresOf(i), i * config.featureDim);
writeFileSync(join(peerDir, 'features.npy'), encodeNpy(features, [allImages, config.featureDim]));
writeFileSync(
  join(peerDir, 'bench.json'),
  JSON.stringify({ params: specs.map((s) => ({ name: s.name, shape: s.shape })), captions: data.captions, batches: batchImages, dropout: config.dropout, learningRate }),
);
const peerScript = resolve(import.meta.dirname, 'torchPeer.py');
// Debian's python3-torch lives under /usr/bin/python3, which a pyenv or venv python3 on PATH may hide.
const pythons = [process.env.CAPTION_STUDIO_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
const checks = pythons.map((python) => ({ python, check: spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' }) }));
const found = checks.find((c) => c.check.status === 0);
const python = found?.python ?? null;
const torchVersion = found ? found.check.stdout.trim() : null;

function torchRow(threads: number, lstm: 'keras' | 'nn'): void {
  const run = spawnSync(python!, [peerScript, '--dir', peerDir, '--threads', String(threads), '--steps', String(steps), '--lstm', lstm], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`torchPeer.py failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { msPerStep: number[]; tokens: number[] };
  const tokens = out.tokens.reduce((a, b) => a + b, 0);
  if (tokens !== timedTokens) throw new Error(`the peer counted ${tokens} tokens, the studio ${timedTokens}: not the same batches`);
  const model = lstm === 'nn' ? "train_ddp.py's model with torch.nn.LSTM, packed" : "train_ddp.py's model as it is";
  row(`PyTorch ${torchVersion} CPU, ${threads} thread${threads > 1 ? 's' : ''}: ${model}`).totalMs.push(out.msPerStep.reduce((a, b) => a + b, 0));
}

const loads: number[] = [];
for (let round = 0; round < rounds; round++) {
  loads.push(os.loadavg()[0]);
  await inProcessRow('studio: 1 replica on this thread (wasm; the CLI default)', resolve(import.meta.dirname, '..', '..'));
  if (baselineDir) await inProcessRow(`baseline ${baselineDir}: 1 replica (wasm)`, baselineDir);
  await mirroredRow(2);
  if (benchPage) await pageRow();
  if (torchVersion) {
    torchRow(2, 'nn');
    torchRow(1, 'nn');
    torchRow(2, 'keras');
  }
}
loads.push(os.loadavg()[0]);
rmSync(peerDir, { recursive: true, force: true });
await benchPage?.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const tokensPerSecond = (r: Row) => (timedTokens * 1000) / median(r.totalMs);
const peer = rows.find((r) => r.name.startsWith('PyTorch') && r.name.includes('2 threads') && r.name.includes('nn.LSTM'));
console.log(
  `CPU peer bench: ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, tfjs ${tf.version.tfjs} wasm; ` +
    `load average (1 min) ${loads.map((l) => l.toFixed(1)).join(' → ')} over the rounds; ` +
    `${data.real ? 'Flickr8K kaggle captions' : 'synthetic captions (../shared absent)'}, vocab ${config.vocabSize}, ` +
    `${imagesPerStep} images × 5 captions a step (${timedTokens} tokens in ${steps} timed steps), median of ${rounds} interleaved rounds`,
);
if (!benchPage) console.log(`Page row missing: ${chromiumMissing}`);
else if (pageBackend !== 'wasm') console.log(`The page row ran on ${pageBackend}, not wasm`);
if (!torchVersion) console.log(`PyTorch rows missing: no python3 with torch and numpy here (tried ${pythons.join(', ')}; apt-get install python3-torch libopenblas0-pthread)`);
console.log('\n| run | ms/step | tokens/s | rounds (tokens/s) | vs PyTorch nn.LSTM 2 threads |\n|---|---:|---:|---|---:|');
for (const r of rows) {
  const perRound = r.totalMs.map((ms) => ((timedTokens * 1000) / ms).toFixed(0)).join(', ');
  const ratio = peer ? `${(tokensPerSecond(r) / tokensPerSecond(peer)).toFixed(2)}×` : '–';
  console.log(`| ${r.name} | ${(median(r.totalMs) / steps).toFixed(0)} | ${tokensPerSecond(r).toFixed(0)} | ${perRound} | ${ratio} |`);
}
process.exit(0);
