/**
 * Replicas on the demo, the instructor's live case (issue 17, item 5): the default demo (300 images, seed 1,
 * features from the committed demo backbone) trained with the studio's and the CLI's defaults for it
 * (defaultTrainConfigFor: batch 16, learning rate 2e-3, dropout 0), one replica on this thread (the CLI's
 * default) against 1 and 2 mirrored replicas in worker threads (`train --replicas N`: wasm, ring all-reduce),
 * rounds interleaving the rows:
 *   `npx tsx tests/bench/demoReplicas.bench.ts [--epochs 1] [--rounds 3] [--warmup 2]`
 *
 * Per row: tokens/s over the training steps after the warm-up (validation and BLEU between epochs are not
 * counted), its speed-up over the one-replica row in each round and in the median round, and where a step's
 * time goes in ms: compute, all-reduce and idle (of it: waiting for the slowest replica), from the
 * workerTimeline events by stepBreakdown (src/store/slices/training/stepBreakdown.ts), the very function behind the
 * Training panel's run table and timeline, with its rule (median over the steps, the first left out). One
 * replica on this thread reports no phases: its step is all compute. The last row, one replica with half the
 * batch, is the compute a replica of the 2-replica row would take with a core to itself (its tokens/s is
 * not comparable: twice the steps of half the size).
 * The load average is printed: on a shared machine only rows of one sitting compare.
 */
import os from 'node:os';
import { MemoryCheckpointStore } from '../../src/engine/training/checkpoint';
import { buildCaptionDataset, type CaptionDataset } from '../../src/engine/training/captionData';
import { InProcessTrainer } from '../../src/engine/training/inProcessTrainer';
import { mirroredCaptionRun } from '../../src/engine/mirrored/captionRun';
import { nodeWorkerEndpoint } from '../../src/engine/threads/nodeEndpoint';
import { useNodeBackend } from '../../src/engine/platform/nodeBackend';
import type { TrainConfig, TrainerEvent } from '../../src/protocol/training';
import { computeOnlyBreakdown, stepBreakdown, type StepBreakdown } from '../../src/store/slices/training/stepBreakdown';
import type { Trainer } from '../../src/engine/training/trainer';
import { DEFAULT_DEMO, defaultsFor, demoCorpus, demoDatasetFeatures, loadDemoBackbone } from '../support/demoRun';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const epochs = Number(arg('epochs', '1'));
const rounds = Number(arg('rounds', '3'));
const warmup = Number(arg('warmup', '2'));

await useNodeBackend('wasm');
const backbone = await loadDemoBackbone();
const features = await demoDatasetFeatures(backbone, DEFAULT_DEMO);
const data: CaptionDataset = buildCaptionDataset(await demoCorpus(DEFAULT_DEMO), features);
const defaults = defaultsFor(data);

interface Result {
  tokens: number;
  ms: number;
  steps: number;
  breakdown: StepBreakdown | null;
}
const results = new Map<string, Result[]>();

async function run(name: string, replicas: number, inProcess: boolean, batchSize = defaults.batchSize): Promise<void> {
  const config: TrainConfig = { ...defaults, batchSize, epochs, replicas, validationSample: 0 };
  const store = new MemoryCheckpointStore();
  const trainer: Trainer = inProcess
    ? new InProcessTrainer({ data, config, store })
    : mirroredCaptionRun({ data, config, store, backend: 'wasm', spawn: () => nodeWorkerEndpoint() }).trainer;
  const events: TrainerEvent[] = [];
  trainer.on((e) => events.push(e));
  await trainer.start();
  await trainer.dispose();
  const allSteps = events.filter((e): e is Extract<TrainerEvent, { type: 'stepCompleted' }> => e.type === 'stepCompleted');
  const steps = allSteps.filter((e) => e.step > warmup);
  const timelines = events.filter((e): e is Extract<TrainerEvent, { type: 'workerTimeline' }> => e.type === 'workerTimeline');
  const breakdown = timelines.length ? stepBreakdown(timelines) : computeOnlyBreakdown(allSteps.map((e) => e.durationMs));
  results.set(name, [
    ...(results.get(name) ?? []),
    { tokens: steps.reduce((s, e) => s + e.tokens, 0), ms: steps.reduce((s, e) => s + e.durationMs, 0), steps: steps.length, breakdown },
  ]);
}

const loads: number[] = [];
const ROWS: [string, number, boolean, number?][] = [
  ['1 replica on this thread (the CLI default)', 1, true],
  ['1 replica in a worker thread (mirrored)', 1, false],
  ['2 replicas in worker threads (mirrored, ring)', 2, false],
  // The yardstick for the row above: what one replica's half of the batch costs on a thread of its own. A
  // 2-replica compute far above it means the replicas did not each get a core (another job held them).
  [`1 replica on this thread, half the batch (${Math.ceil(defaults.batchSize / 2)} images: one replica's share)`, 1, true, Math.ceil(defaults.batchSize / 2)],
];
for (let round = 0; round < rounds; round++) {
  loads.push(os.loadavg()[0]);
  for (const [name, replicas, inProcess, batchSize] of ROWS) await run(name, replicas, inProcess, batchSize);
}
loads.push(os.loadavg()[0]);

const tokensPerSecond = (r: Result) => (r.tokens * 1000) / r.ms;
const median = (rs: Result[]) => [...rs].sort((a, b) => tokensPerSecond(a) - tokensPerSecond(b))[Math.floor((rs.length - 1) / 2)];
const base = median(results.get(ROWS[0][0])!);
console.log(
  `demo replicas bench: ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, wasm (one thread per replica); ` +
    `load average (1 min) ${loads.map((l) => l.toFixed(1)).join(' → ')} over the rounds; default demo (${data.train.length} training images, ` +
    `${data.featureDim}-d demo-backbone features, vocab ${data.tokenizer.vocabSize}), batch ${defaults.batchSize}, lr ${defaults.learningRate}, dropout ${defaults.dropout}; ` +
    `${epochs} epoch(s) a run, steps after the first ${warmup} counted; the median round of ${rounds} (by tokens/s) shown`,
);
console.log(
  '\n| run | tokens/s | rounds (tokens/s) | vs 1 replica on this thread (rounds) | median round | ms per step | compute | all-reduce | idle (waiting for the slowest) |\n|---|---:|---|---|---:|---:|---:|---:|---:|',
);
const bases = results.get(ROWS[0][0])!;
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(1));
for (const [name] of ROWS) {
  const rs = results.get(name)!;
  const r = median(rs);
  const b = r.breakdown;
  console.log(
    `| ${name} | ${tokensPerSecond(r).toFixed(0)} | ${rs.map((x) => tokensPerSecond(x).toFixed(0)).join(', ')} | ` +
      `${rs.map((x, i) => (tokensPerSecond(x) / tokensPerSecond(bases[i])).toFixed(2) + '×').join(', ')} | ${(tokensPerSecond(r) / tokensPerSecond(base)).toFixed(2)}× | ` +
      `${(r.ms / r.steps).toFixed(1)} | ${ms(b?.computeMs)} | ${ms(b?.allReduceMs)} | ${b?.idleMs === null || !b ? '–' : `${ms(b.idleMs)} (${ms(b.slowestWaitMs)})`} |`,
  );
}
process.exit(0);
