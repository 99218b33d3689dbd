/**
 * Mirrored-training benchmark: the same model and global batches with N = 1, 2, 4 replicas (Node worker
 * threads, wasm backend, ring all-reduce over SharedArrayBuffer unless --allreduce postMessage), printed side
 * by side: tokens/s, speedup, scaling efficiency, and the split of replica time between compute (forward,
 * backward, read-back), communication (all-reduce incl. waiting for peers) and the optimizer update.
 *
 *   npx tsx tests/bench/replicas.bench.ts [--steps 12] [--warmup 2] [--replicas 1,2,4] [--allreduce ring]
 *
 * Model: the toy bag-of-words model sized like the notebook's head (embedding 256, hidden 256, vocab 4000),
 * global batch 256 examples. Not collected by `vitest run` (tests/**\/*.test.ts only).
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { MirroredTrainer } from '../../src/engine/mirroredTrainer';
import { nodeWorkerEndpoint } from '../../src/engine/nodeEndpoint';
import type { ToyBatch, ToyModelOptions } from '../../src/engine/toyReplicaModel';
import { makeToyBatch, sliceToyBatch, toyExampleTokens } from '../../src/engine/toyReplicaModel';
import { defaultTrainConfig, type AllReduceAlgorithm, type TrainerEvent } from '../../src/engine/trainer';

export interface BenchRow {
  replicas: number;
  tokensPerSecond: number;
  speedup: number;
  efficiency: number;
  stepMs: number;
  computeShare: number;
  communicationShare: number;
  applyShare: number;
  bytesSentPerReplicaStep: number;
  bytesSavedBySparsePerReplicaStep: number;
}

export async function benchReplicas(options: {
  replicaCounts: number[];
  steps: number;
  warmupSteps: number;
  allReduce: AllReduceAlgorithm;
  model: ToyModelOptions;
  batchExamples: number;
}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const replicas of options.replicaCounts) {
    const events: TrainerEvent[] = [];
    const trainer = new MirroredTrainer<ToyBatch>({
      config: { ...defaultTrainConfig, replicas, allReduce: options.allReduce, dropout: 0, checksumEvery: 0, epochs: 1 },
      model: { kind: 'toy', options: options.model },
      data: {
        stepsPerEpoch: options.steps + options.warmupSteps,
        batch: (_epoch, step) => makeToyBatch(500 + step, options.batchExamples, options.model.vocabSize, 8, 12),
        exampleTokens: toyExampleTokens,
        slice: sliceToyBatch,
      },
      backend: 'wasm',
      spawn: () => nodeWorkerEndpoint(),
    });
    trainer.on((e) => events.push(e));
    await trainer.start();
    if (trainer.state !== 'finished') throw new Error(`run with ${replicas} replicas ended ${trainer.state}`);
    const measured = (e: TrainerEvent) => 'step' in e && e.step >= options.warmupSteps;
    const steps = events.filter((e) => e.type === 'stepCompleted' && measured(e)) as Extract<TrainerEvent, { type: 'stepCompleted' }>[];
    const timelines = events.filter((e) => e.type === 'workerTimeline' && measured(e)) as Extract<TrainerEvent, { type: 'workerTimeline' }>[];
    const tokens = steps.reduce((s, e) => s + e.tokens, 0);
    const totalMs = steps.reduce((s, e) => s + e.durationMs, 0);
    const phase = (name: 'compute' | 'readback' | 'allReduceWait' | 'apply' | 'idle') => timelines.reduce((s, t) => s + t.phasesMs[name], 0);
    const busy = phase('compute') + phase('readback') + phase('allReduceWait') + phase('apply') + phase('idle');
    const tokensPerSecond = (tokens * 1000) / totalMs;
    const base = rows[0]?.tokensPerSecond ?? tokensPerSecond;
    const baseReplicas = rows[0]?.replicas ?? replicas;
    rows.push({
      replicas,
      tokensPerSecond,
      speedup: tokensPerSecond / base,
      efficiency: tokensPerSecond / base / (replicas / baseReplicas),
      stepMs: totalMs / steps.length,
      computeShare: (phase('compute') + phase('readback')) / busy,
      communicationShare: (phase('allReduceWait') + phase('idle')) / busy,
      applyShare: phase('apply') / busy,
      bytesSentPerReplicaStep: timelines.reduce((s, t) => s + (t.bytesSent ?? 0), 0) / timelines.length,
      bytesSavedBySparsePerReplicaStep: timelines.reduce((s, t) => s + (t.bytesSavedBySparse ?? 0), 0) / timelines.length,
    });
  }
  return rows;
}

export function formatBenchTable(rows: BenchRow[]): string {
  const percent = (x: number) => `${(100 * x).toFixed(0)}%`;
  const mib = (x: number) => `${(x / 2 ** 20).toFixed(2)} MiB`;
  const header = '| replicas | tokens/s | speedup | efficiency | step ms | compute | all-reduce + wait | apply | sent/replica/step | saved by sparse rows |';
  const rule = '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const lines = rows.map((r) =>
    `| ${r.replicas} | ${r.tokensPerSecond.toFixed(0)} | ${r.speedup.toFixed(2)}x | ${percent(r.efficiency)} | ${r.stepMs.toFixed(0)} | ${percent(r.computeShare)} | ${percent(r.communicationShare)} | ${percent(r.applyShare)} | ${mib(r.bytesSentPerReplicaStep)} | ${mib(r.bytesSavedBySparsePerReplicaStep)} |`,
  );
  return [header, rule, ...lines].join('\n');
}

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

async function main(): Promise<void> {
  const allReduce = argument('allreduce', 'ring') as AllReduceAlgorithm;
  const model: ToyModelOptions = { vocabSize: Number(argument('vocab', '4000')), embeddingDim: 256, hiddenDim: 256, seed: 1, learningRate: 1e-3 };
  const rows = await benchReplicas({
    replicaCounts: argument('replicas', '1,2,4').split(',').map(Number),
    steps: Number(argument('steps', '12')),
    warmupSteps: Number(argument('warmup', '2')),
    allReduce,
    model,
    batchExamples: Number(argument('batch', '256')),
  });
  console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, tfjs wasm backend, ${allReduce} all-reduce`);
  console.log(`Model: toy (vocab ${model.vocabSize}, embedding ${model.embeddingDim}, hidden ${model.hiddenDim}), global batch ${argument('batch', '256')} examples`);
  console.log(formatBenchTable(rows));
  console.log(JSON.stringify(rows));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
