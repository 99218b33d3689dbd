/**
 * Replicas on the demo, the instructor's live case (issue 17, item 5): the default demo (300 images, seed 1,
 * features from the committed demo backbone) trained with the studio's and the CLI's defaults for it
 * (defaultTrainConfigFor: batch 16, learning rate 2e-3, dropout 0), one replica on this thread (the CLI's
 * default) against 1 and 2 mirrored replicas in worker threads (`train --replicas N`: wasm, ring all-reduce),
 * rounds interleaving the rows:
 *   `npx tsx tests/bench/demoReplicas.bench.ts [--epochs 1] [--rounds 3] [--warmup 2]`
 *
 * Per row: tokens/s over the training steps after the warm-up (validation and BLEU between epochs are not
 * counted), its speed-up over the one-replica row, and where a replica's step goes, in ms per step
 * averaged over replicas and steps (the phases of the workerTimeline events the Training panel's timeline
 * draws): compute (forward + backward), readback of the gradients, all-reduce (incl. waiting for the peer),
 * apply (Adam), idle (between its own segments: waiting for the next batch and the coordinator).
 * The load average is printed: on a shared machine only rows of one sitting compare.
 */
import os from 'node:os';
import { MemoryCheckpointStore } from '../../src/engine/training/checkpoint';
import { buildCaptionDataset, type CaptionDataset } from '../../src/engine/training/captionData';
import { InProcessTrainer } from '../../src/engine/training/inProcessTrainer';
import { mirroredCaptionRun } from '../../src/engine/mirrored/captionRun';
import { nodeWorkerEndpoint } from '../../src/engine/threads/nodeEndpoint';
import { useNodeBackend } from '../../src/engine/platform/nodeBackend';
import type { ReplicaPhasesMs, TrainConfig, TrainerEvent } from '../../src/protocol/training';
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

type Phase = keyof ReplicaPhasesMs;
const PHASES: Phase[] = ['compute', 'readback', 'allReduceWait', 'apply', 'idle'];
interface Result {
  tokens: number;
  ms: number;
  steps: number;
  /** Summed over replicas and measured steps. */
  phases: Record<Phase, number>;
  timelines: number;
}
const results = new Map<string, Result[]>();

async function run(name: string, replicas: number, inProcess: boolean): Promise<void> {
  const config: TrainConfig = { ...defaults, epochs, replicas, validationSample: 0 };
  const store = new MemoryCheckpointStore();
  const trainer: Trainer = inProcess
    ? new InProcessTrainer({ data, config, store })
    : mirroredCaptionRun({ data, config, store, backend: 'wasm', spawn: () => nodeWorkerEndpoint() }).trainer;
  const events: TrainerEvent[] = [];
  trainer.on((e) => events.push(e));
  await trainer.start();
  await trainer.dispose();
  const measured = (e: TrainerEvent) => 'step' in e && e.step > warmup;
  const steps = events.filter((e): e is Extract<TrainerEvent, { type: 'stepCompleted' }> => e.type === 'stepCompleted' && measured(e));
  const timelines = events.filter((e): e is Extract<TrainerEvent, { type: 'workerTimeline' }> => e.type === 'workerTimeline' && measured(e));
  const phases = Object.fromEntries(PHASES.map((p) => [p, timelines.reduce((s, t) => s + t.phasesMs[p], 0)])) as Record<Phase, number>;
  results.set(name, [
    ...(results.get(name) ?? []),
    { tokens: steps.reduce((s, e) => s + e.tokens, 0), ms: steps.reduce((s, e) => s + e.durationMs, 0), steps: steps.length, phases, timelines: timelines.length },
  ]);
}

const loads: number[] = [];
const ROWS: [string, number, boolean][] = [
  ['1 replica on this thread (the CLI default)', 1, true],
  ['1 replica in a worker thread (mirrored)', 1, false],
  ['2 replicas in worker threads (mirrored, ring)', 2, false],
];
for (let round = 0; round < rounds; round++) {
  loads.push(os.loadavg()[0]);
  for (const [name, replicas, inProcess] of ROWS) await run(name, replicas, inProcess);
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
  '\n| run | tokens/s | rounds (tokens/s) | vs 1 replica on this thread | ms per step | compute | readback | all-reduce + wait | apply | idle |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
);
for (const [name] of ROWS) {
  const rs = results.get(name)!;
  const r = median(rs);
  const perStep = (p: Phase) => (r.timelines ? (r.phases[p] / r.timelines).toFixed(1) : '–');
  console.log(
    `| ${name} | ${tokensPerSecond(r).toFixed(0)} | ${rs.map((x) => tokensPerSecond(x).toFixed(0)).join(', ')} | ${(tokensPerSecond(r) / tokensPerSecond(base)).toFixed(2)}× | ` +
      `${(r.ms / r.steps).toFixed(1)} | ${PHASES.map(perStep).join(' | ')} |`,
  );
}
process.exit(0);
