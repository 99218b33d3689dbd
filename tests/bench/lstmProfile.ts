/**
 * Where the fused LSTM's training step spends its time, for gpu.bench.ts --profile: each stage is recorded and
 * submitted alone and timed until the queue is idle, in interleaved rounds (fastest kept). Measured directly:
 * the whole layer (forward + backward, as the bench's lstm workload), the forward alone, the input projection
 * and each weight-gradient dispatch at the layer's sizes; the T step kernels forward and backward are what the
 * whole minus those leaves (on a CPU emulation dispatches run one after another, so times add up).
 */
import * as tf from '@tensorflow/tfjs';
import { fusedLstm } from '../../src/gpu/kernels/fusedLstm';
import { gpuColumnSum, gpuMatmul, type KernelPrecision } from '../../src/gpu/kernels/matmul';
import { webgpuBackend } from '../../src/gpu/kernels/dispatch';

export interface ProfileOptions {
  B: number;
  T: number;
  E: number;
  H: number;
  rounds: number;
  precisions: KernelPrecision[];
}

async function queueIdle(): Promise<void> {
  const backend = webgpuBackend();
  backend.endComputePassEncoder();
  if (backend.commandEncoder) backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

/** @returns a markdown table: stage, ms per precision, share of the whole step */
export async function profileFusedLstm(o: ProfileOptions): Promise<string> {
  const { B, T, E, H } = o;
  const rand = (shape: number[], seed: number, scale = 1) => tf.randomUniform(shape, -scale, scale, 'float32', seed);
  const x = rand([B, T, E], 1) as tf.Tensor3D;
  const kernel = rand([E, 4 * H], 2, 0.08) as tf.Tensor2D;
  const recurrent = rand([H, 4 * H], 3, 0.08) as tf.Tensor2D;
  const bias = tf.zeros([4 * H]) as tf.Tensor1D;
  const lengths = Array.from({ length: B }, (_, b) => 8 + ((b * 7) % Math.max(1, T - 7)));
  const mask = tf.tensor2d(lengths.flatMap((len) => Array.from({ length: T }, (_, t) => (t >= T - len ? 1 : 0))), [B, T]);
  const upstream = rand([B, T, H], 4) as tf.Tensor3D;
  const dZ = rand([B * T, 4 * H], 5, 0.1) as tf.Tensor2D;
  const x2 = tf.reshape(x, [B * T, E]) as tf.Tensor2D;
  const h2 = rand([B * T, H], 6) as tf.Tensor2D;
  const inputs = [x, kernel, recurrent, bias, mask, upstream, dZ, x2, h2];

  type Stage = [string, (p: KernelPrecision) => tf.Tensor[]];
  const stages: Stage[] = [
    ['whole layer: forward + backward', (precision) => {
      const { value, grads } = tf.valueAndGrads((k: tf.Tensor, r: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(fusedLstm(x, mask, k as tf.Tensor2D, r as tf.Tensor2D, b as tf.Tensor1D, { precision }), upstream)) as tf.Scalar,
      )([kernel, recurrent, bias]);
      return [value, ...grads];
    }],
    ['forward: input projection + T steps', (precision) => [fusedLstm(x, mask, kernel, recurrent, bias, { precision })]],
    ['forward: input projection x@W+b (1 matmul)', (precision) => [gpuMatmul(x2, kernel, { bias, precision })]],
    ['backward: dx = dz@Wᵀ', (precision) => [gpuMatmul(dZ, kernel, { transposeB: true, precision })]],
    ['backward: dW = xᵀ@dz', (precision) => [gpuMatmul(x2, dZ, { transposeA: true, precision })]],
    ['backward: dU = h_{t-1}ᵀ@dz', (precision) => [gpuMatmul(h2, dZ, { transposeA: true, shiftRowsOfA: T, precision })]],
    ['backward: db = Σ dz (column sum)', () => [gpuColumnSum(dZ)]],
  ];
  const best = new Map<string, number>();
  try {
    for (let round = 0; round <= o.rounds; round++) {
      for (const precision of o.precisions) {
        for (const [name, run] of stages) {
          await queueIdle();
          const start = performance.now();
          const out = tf.tidy(() => run(precision));
          await queueIdle();
          const ms = performance.now() - start;
          tf.dispose(out);
          const key = `${name}|${precision}`;
          if (round > 0) best.set(key, Math.min(best.get(key) ?? Infinity, ms)); // round 0 compiles
        }
      }
    }
  } finally {
    tf.dispose(inputs);
  }
  const ms = (name: string, p: KernelPrecision) => best.get(`${stages.find(([n]) => n.startsWith(name))![0]}|${p}`)!;
  const derived = (p: KernelPrecision) => {
    const whole = ms('whole', p);
    const fwd = ms('forward: input projection +', p);
    const proj = ms('forward: input projection x', p);
    const grads = ['backward: dx', 'backward: dW', 'backward: dU', 'backward: db'].reduce((sum, n) => sum + ms(n, p), 0);
    return new Map([
      ['forward: T step kernels (derived)', fwd - proj],
      ['backward: whole (derived)', whole - fwd],
      ['backward: T step kernels + tape (derived)', whole - fwd - grads],
    ]);
  };
  const names = [...stages.map(([n]) => n), ...derived(o.precisions[0]).keys()];
  const value = (name: string, p: KernelPrecision) => derived(p).get(name) ?? ms(name, p);
  const header = `| stage | ${o.precisions.map((p) => `${p} ms`).join(' | ')} | share of ${o.precisions[0]} step |`;
  const lines = names.map((name) => {
    const share = (100 * value(name, o.precisions[0])) / ms('whole', o.precisions[0]);
    return `| ${name} | ${o.precisions.map((p) => value(name, p).toFixed(0)).join(' | ')} | ${share.toFixed(0)}% |`;
  });
  return [`B=${B}, T=${T}, E=${E}, H=${H}`, '', header, `|---|${o.precisions.map(() => '---:|').join('')}---:|`, ...lines].join('\n');
}
