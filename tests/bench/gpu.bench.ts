/**
 * GPU engine benchmark: `npx tsx tests/bench/gpu.bench.ts [--batch 64] [--steps 3] [--vocab 8485] [--only lstm]
 *   [--profile] [--baseline DIR]`
 * Notebook sizes: batch 64 captions (sequence layout), T = 35 steps, embedding E = 256, LSTM H = 256, the
 * Dense 256 relu and the ~8.5k-word softmax. Two workloads, each a full training step (forward, backward,
 * gradients for every weight; the optimizer update is left out as it is the same for all rows):
 *   lstm:    x [B,T,E] → LSTM → Σ hSeq·r (the recurrent layer alone)
 *   decoder: x [B,T,E] → LSTM → Dense 256 relu → Dense vocab → softmax cross-entropy (mean over real
 *            tokens); fused rows use fusedOutputLoss (projection + CE without a one-hot), stock rows tf ops
 * Rows: stock tfjs ops vs fused WGSL kernels, f32 vs f16, webgpu (Dawn in Node) vs wasm. Tokens = B·T.
 * The adapter is printed with the table: on lavapipe/SwiftShader these are CPU-emulated GPU numbers.
 * --profile: also where the fused LSTM's time goes (see lstmProfile.ts).
 * --baseline DIR: also run the fused kernels of another checkout's src/gpu/kernels, interleaved with these, for
 *   a before/after in one run, e.g. `git archive 411ab49 src | tar -x -C /tmp/before` and
 *   `ln -s $PWD/node_modules /tmp/before/node_modules` (one tfjs instance for both).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createGpuEngine, describeAdapter } from '../../src/gpu/device';
import { nodeGpu } from '../../src/gpu/nodeGpu';
import * as fusedLstmModule from '../../src/gpu/kernels/fusedLstm';
import * as matmulModule from '../../src/gpu/kernels/matmul';
import * as lossModule from '../../src/gpu/kernels/softmaxCrossEntropy';
import { profileFusedLstm } from './lstmProfile';
import os from 'node:os';
import path from 'node:path';

const { lstmReference } = fusedLstmModule;

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const B = arg('batch', 64);
const T = arg('steps-per-caption', 35);
const E = 256;
const H = 256;
const V = arg('vocab', 8485);
const measuredSteps = arg('steps', 3);

/** The fused ops a variant runs (this checkout's or a baseline's). */
interface FusedKernels {
  fusedLstm: typeof fusedLstmModule.fusedLstm;
  fusedDense: typeof matmulModule.fusedDense;
  fusedOutputLoss: typeof lossModule.fusedOutputLoss;
}

interface Variant {
  name: string;
  /** null: stock tfjs ops */
  kernels: FusedKernels | null;
  precision: 'float32' | 'mixed_float16';
}

const current: FusedKernels = { ...fusedLstmModule, ...matmulModule, ...lossModule };

async function loadBaseline(dir: string): Promise<FusedKernels> {
  const kernels = path.resolve(dir, 'src/gpu/kernels');
  const [l, m, o] = await Promise.all(['fusedLstm.ts', 'matmul.ts', 'softmaxCrossEntropy.ts'].map((f) => import(path.join(kernels, f))));
  return { fusedLstm: l.fusedLstm, fusedDense: m.fusedDense, fusedOutputLoss: o.fusedOutputLoss };
}

function seeded(shape: number[], seed: number, scale: number): tf.Tensor {
  return tf.randomUniform(shape, -scale, scale, 'float32', seed);
}

interface Weights {
  kernel: tf.Tensor2D;
  recurrent: tf.Tensor2D;
  bias: tf.Tensor1D;
  dense: tf.Tensor2D;
  denseBias: tf.Tensor1D;
  out: tf.Tensor2D;
  outBias: tf.Tensor1D;
}

function makeWeights(): Weights {
  return {
    kernel: seeded([E, 4 * H], 1, 0.08) as tf.Tensor2D,
    recurrent: seeded([H, 4 * H], 2, 0.08) as tf.Tensor2D,
    bias: tf.zeros([4 * H]),
    dense: seeded([H, 256], 3, 0.1) as tf.Tensor2D,
    denseBias: tf.zeros([256]),
    out: seeded([256, V], 4, 0.1) as tf.Tensor2D,
    outBias: tf.zeros([V]),
  };
}

function lstmOf({ kernels, precision }: Variant) {
  return (x: tf.Tensor3D, m: tf.Tensor2D, k: tf.Tensor2D, r: tf.Tensor2D, b: tf.Tensor1D) =>
    kernels ? kernels.fusedLstm(x, m, k, r, b, { precision }) : lstmReference(x, m, k, r, b);
}

function denseOf({ kernels, precision }: Variant) {
  return (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, relu: boolean) =>
    kernels
      ? kernels.fusedDense(x, w, b, { relu, precision })
      : (tf.tidy(() => {
          const y = tf.add(tf.matMul(x, w), b);
          return relu ? tf.relu(y) : y;
        }) as tf.Tensor2D);
}

interface Inputs {
  x: tf.Tensor3D;
  mask: tf.Tensor2D;
  /** lstm: r [B,T,H]; decoder: labels [B·T] int32 */
  target: tf.Tensor;
  /** [B·T] 1 for real tokens */
  weights: tf.Tensor1D;
}

/** One training step's gradients; returns the loss (read back, so the GPU work is finished). */
async function step(workload: 'lstm' | 'decoder', variant: Variant, w: Weights, inputs: Inputs) {
  const { x, mask, target, weights } = inputs;
  const lstm = lstmOf(variant);
  const dense = denseOf(variant);
  const { kernels, precision } = variant;
  const { value, grads } = tf.tidy(() => {
    const params = workload === 'lstm' ? [w.kernel, w.recurrent, w.bias] : Object.values(w);
    return tf.valueAndGrads((...ws: tf.Tensor[]) => {
      const [k, r, b] = ws as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      const h = lstm(x, mask, k, r, b);
      if (workload === 'lstm') return tf.sum(tf.mul(h, target)) as tf.Scalar;
      const [, , , d, db, o, ob] = ws as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
      const hidden = dense(tf.reshape(h, [B * T, H]), d, db, true);
      if (kernels) return kernels.fusedOutputLoss(hidden, o, ob, target as tf.Tensor1D, weights, { precision });
      const logits = tf.add(tf.matMul(hidden, o), ob);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(target as tf.Tensor1D, V), logits, weights) as tf.Scalar;
    })(params);
  });
  const loss = (await value.data())[0];
  await Promise.all(grads.map((g) => g.data()));
  tf.dispose([value, ...grads]);
  return loss;
}

interface Row {
  workload: string;
  backend: string;
  variant: string;
  firstStepMs: number;
  minMs: number;
  medianMs: number;
  /** Process CPU time (all threads) of the fastest-CPU step: lavapipe/wasm work, robust to other load. */
  minCpuMs: number;
  loss: number;
}

function makeInputs(workload: 'lstm' | 'decoder'): Inputs {
  const x = seeded([B, T, E], 5, 1) as tf.Tensor3D;
  // Pre-padded like the notebook's pad_sequences: caption lengths 8..35.
  const lengths = Array.from({ length: B }, (_, b) => 8 + ((b * 7) % (T - 7)));
  const maskValues = lengths.flatMap((len) => Array.from({ length: T }, (_, t) => (t >= T - len ? 1 : 0)));
  const mask = tf.tensor2d(maskValues, [B, T]);
  const target =
    workload === 'lstm' ? seeded([B, T, H], 6, 1) : tf.tensor1d(Array.from({ length: B * T }, (_, i) => 1 + ((i * 7919) % (V - 1))), 'int32');
  return { x, mask, target, weights: tf.tensor1d(maskValues) };
}

/**
 * Runs the variants of one backend in interleaved rounds (one step each per round), so load from other
 * processes on the shared CPU hits every variant alike; reports the fastest and the median step.
 */
async function measureBackend(workload: 'lstm' | 'decoder', backend: string, variants: Variant[]): Promise<Row[]> {
  const w = makeWeights();
  const inputs = makeInputs(workload);
  try {
    const rows: Row[] = [];
    const times = new Map<string, number[]>();
    const cpuTimes = new Map<string, number[]>();
    for (const variant of variants) {
      const start = performance.now();
      const loss = await step(workload, variant, w, inputs);
      rows.push({ workload, backend, variant: variant.name, firstStepMs: performance.now() - start, minMs: 0, medianMs: 0, minCpuMs: 0, loss });
      times.set(variant.name, []);
      cpuTimes.set(variant.name, []);
    }
    for (let round = 0; round < measuredSteps; round++) {
      for (const variant of variants) {
        const start = performance.now();
        const cpuStart = process.cpuUsage();
        await step(workload, variant, w, inputs);
        times.get(variant.name)!.push(performance.now() - start);
        const cpu = process.cpuUsage(cpuStart);
        cpuTimes.get(variant.name)!.push((cpu.user + cpu.system) / 1000);
      }
    }
    for (const row of rows) {
      const sorted = times.get(row.variant)!.sort((a, b) => a - b);
      row.minMs = sorted[0];
      row.medianMs = sorted[Math.floor(sorted.length / 2)];
      row.minCpuMs = Math.min(...cpuTimes.get(row.variant)!);
      console.error(JSON.stringify(row));
    }
    return rows;
  } finally {
    tf.dispose([...Object.values(w), ...Object.values(inputs)]);
  }
}

async function main() {
  const engine = await createGpuEngine(await nodeGpu());
  const rows: Row[] = [];
  const adapter = engine ? describeAdapter(engine.report) : 'none';
  const workloads = (only ? [only] : ['lstm', 'decoder']) as Array<'lstm' | 'decoder'>;
  const baselineDir = args.includes('--baseline') ? args[args.indexOf('--baseline') + 1] : null;
  const baseline = baselineDir ? await loadBaseline(baselineDir) : null;
  const stock: Variant = { name: 'stock', kernels: null, precision: 'float32' };
  const precisions = engine?.shaderF16 ? (['float32', 'mixed_float16'] as const) : (['float32'] as const);
  const fused = (kernels: FusedKernels, suffix: string) =>
    precisions.map((precision): Variant => ({ name: `fused-${precision === 'float32' ? 'f32' : 'f16'}${suffix}`, kernels, precision }));
  const webgpuVariants = [stock, ...(baseline ? fused(baseline, ' (baseline)') : []), ...fused(current, '')];
  for (const workload of workloads) {
    if (engine) {
      await engine.useAsTfjsBackend();
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      rows.push(...(await measureBackend(workload, 'webgpu', webgpuVariants)));
      engine.assertNoErrors();
    }
    await tf.setBackend('wasm');
    rows.push(...(await measureBackend(workload, 'wasm', [stock])));
  }
  let profile = '';
  if (engine && args.includes('--profile')) {
    await engine.useAsTfjsBackend();
    profile = await profileFusedLstm({ B, T, E, H, rounds: measuredSteps, precisions: [...precisions] });
    engine.assertNoErrors();
  }
  const cpu = `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}`;
  console.log(`\nGPU engine bench — B=${B} captions, T=${T}, E=H=${H}, vocab=${V}; ${measuredSteps} interleaved rounds after 1 warm-up`);
  console.log(`machine: ${cpu}, load average ${os.loadavg()[0].toFixed(1)}; webgpu adapter: ${adapter} (Dawn in Node); wasm: tfjs-backend-wasm in Node`);
  console.log('tokens/s = B·T / fastest step (padding included); CPU ms = process CPU time, all threads (the emulated GPU)\n');
  console.log('| workload | backend | kernels | first step ms | fastest ms/step | median ms/step | CPU ms/step | tokens/s | vs stock webgpu | loss |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const tokensPerSecond = (B * T * 1000) / r.minMs;
    const stockMs = rows.find((s) => s.workload === r.workload && s.backend === 'webgpu' && s.variant === 'stock')?.minMs;
    const speedup = stockMs ? `${(stockMs / r.minMs).toFixed(2)}x` : '';
    console.log(
      `| ${r.workload} | ${r.backend} | ${r.variant} | ${r.firstStepMs.toFixed(0)} | ${r.minMs.toFixed(0)} | ${r.medianMs.toFixed(0)} | ${r.minCpuMs.toFixed(0)} | ${tokensPerSecond.toFixed(0)} | ${speedup} | ${r.loss.toPrecision(5)} |`,
    );
  }
  if (profile) {
    console.log(`\nFused LSTM profile (the lstm workload's layer; fastest of ${measuredSteps} interleaved rounds, each stage submitted alone)\n`);
    console.log(profile);
  }
  engine?.destroy();
}

await main();
