/**
 * Tiled matmul in WGSL with optional transposes, fused bias and relu, in f32 or f16 compute.
 * f16: operands are read as f32 (the weights stay f32, as in Keras mixed precision), rounded to f16 in
 * workgroup memory, multiplied in f16 (so products overflow to Inf above 65504 exactly as on real f16
 * hardware) and accumulated in f32. Output is f32.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatch, hasShaderF16, newTensor, pipelineFor, webgpuBackend, type BackendInternals } from './dispatch';

export type KernelPrecision = 'float32' | 'mixed_float16';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** bias [N], added to every row. */
  bias?: tf.Tensor1D;
  relu?: boolean;
  precision?: KernelPrecision;
}

// Shaped like tfjs' own vec4 matmul, which suits both GPUs and CPU emulations (lavapipe, SwiftShader run a
// workgroup as SIMD loops, so few invocations with vec4 work each beat many scalar ones): 8x8 invocations,
// each computing 4 rows x one vec4 of columns, a 32x32 output tile and K chunks of 32.
const tile = 32;

export function matmulCode(
  transA: boolean, transB: boolean, hasBias: boolean, relu: boolean, f16: boolean, vecA = false, vecB = false,
): string {
  const ct = f16 ? 'f16' : 'f32';
  // vecA/vecB: the operand's rows are contiguous along the loaded axis and a multiple of 4 long, so a quad is
  // one vec4 load (wholly in or out of bounds) instead of four guarded scalar loads.
  const loadA = vecA
    ? `select(vec4<f32>(0.0), A4[(m * dims.K + ka) / 4u], m < dims.M && ka < dims.K)`
    : `vec4<f32>(readA(m, ka), readA(m, ka + 1u), readA(m, ka + 2u), readA(m, ka + 3u))`;
  const loadB = vecB
    ? `select(vec4<f32>(0.0), B4[(kb * dims.N + n) / 4u], kb < dims.K && n < dims.N)`
    : `vec4<f32>(readB(kb, n), readB(kb, n + 1u), readB(kb, n + 2u), readB(kb, n + 3u))`;
  const biasBinding = hasBias ? '@group(0) @binding(2) var<storage, read> bias: array<f32>;' : '';
  const outBinding = hasBias ? 3 : 2;
  // f16: the four products of a vec4 step are formed in f16 and each converted to f32 before the sum.
  const fma = f16
    ? (b: string, a: string) => `vec4<f32>(${b} * ${a})`
    : (b: string, a: string) => `${b} * ${a}`;
  return `${f16 ? 'enable f16;' : ''}
struct Dims { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> ${vecA ? 'A4: array<vec4<f32>>' : 'A: array<f32>'};
@group(0) @binding(1) var<storage, read> ${vecB ? 'B4: array<vec4<f32>>' : 'B: array<f32>'};
${biasBinding}
@group(0) @binding(${outBinding}) var<storage, read_write> C: array<f32>;
@group(0) @binding(${outBinding + 1}) var<uniform> dims: Dims;
var<workgroup> As: array<array<vec4<${ct}>, 8>, 32>;   // [m][k/4]
var<workgroup> Bs: array<array<vec4<${ct}>, 8>, 32>;   // [k][n/4]

${vecA ? '' : `fn readA(m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K) { return 0.0; }
  return A[${transA ? 'k * dims.M + m' : 'm * dims.K + k'}];
}`}
${vecB ? '' : `fn readB(k: u32, n: u32) -> f32 {
  if (k >= dims.K || n >= dims.N) { return 0.0; }
  return B[${transB ? 'n * dims.K + k' : 'k * dims.N + n'}];
}`}

@compute @workgroup_size(8, 8)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tileM = wid.y * ${tile}u;
  let tileN = wid.x * ${tile}u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < dims.K; k0 += 32u) {
    // 64 invocations load 32x8 vec4 of each operand: 4 each.
    for (var i = 0u; i < 4u; i++) {
      let row = lid.y * 4u + i;
      let m = tileM + row;
      let ka = k0 + lid.x * 4u;
      As[row][lid.x] = vec4<${ct}>(${loadA});
      let kb = k0 + row;
      let n = tileN + lid.x * 4u;
      Bs[row][lid.x] = vec4<${ct}>(${loadB});
    }
    workgroupBarrier();
    for (var kq = 0u; kq < 8u; kq++) {
      let b0 = Bs[kq * 4u][lid.x];
      let b1 = Bs[kq * 4u + 1u][lid.x];
      let b2 = Bs[kq * 4u + 2u][lid.x];
      let b3 = Bs[kq * 4u + 3u][lid.x];
      for (var i = 0u; i < 4u; i++) {
        let a = As[lid.y * 4u + i][kq];
        acc[i] += ${fma('b0', 'a.x')} + ${fma('b1', 'a.y')} + ${fma('b2', 'a.z')} + ${fma('b3', 'a.w')};
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = tileM + lid.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let n = tileN + lid.x * 4u + j;
      if (m < dims.M && n < dims.N) {
        var v = acc[i][j]${hasBias ? ' + bias[n]' : ''};
        ${relu ? 'v = max(v, 0.0);' : ''}
        C[m * dims.N + n] = v;
      }
    }
  }
}
`;
}

/** Checks the precision against the device and returns whether f16 shaders are used. */
export function useF16(backend: BackendInternals, precision: KernelPrecision | undefined): boolean {
  if (precision !== 'mixed_float16') return false;
  if (!hasShaderF16(backend)) {
    throw new Error('mixed_float16 kernels need a WebGPU device with shader-f16; this adapter does not offer it');
  }
  return true;
}

/**
 * C = op(A) @ op(B) (+ bias) (relu). No gradient: see fusedDense for the differentiable layer.
 * @param a [M,K] (or [K,M] with transposeA)
 * @param b [K,N] (or [N,K] with transposeB)
 * @returns [M,N] float32
 */
export function gpuMatmul(a: tf.Tensor2D, b: tf.Tensor2D, options: MatmulOptions = {}): tf.Tensor2D {
  const backend = webgpuBackend();
  const f16 = useF16(backend, options.precision);
  const transA = options.transposeA ?? false;
  const transB = options.transposeB ?? false;
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [kB, N] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (K !== kB) throw new Error(`gpuMatmul: inner dimensions differ (${K} vs ${kB})`);
  if (options.bias && options.bias.shape[0] !== N) throw new Error(`gpuMatmul: bias has ${options.bias.shape[0]} values, need ${N}`);
  const hasBias = options.bias != null;
  const relu = options.relu ?? false;
  const vecA = !transA && K % 4 === 0;
  const vecB = !transB && N % 4 === 0;
  const key = `matmul:${+transA}${+transB}${+hasBias}${+relu}${f16 ? 'h' : 'f'}${+vecA}${+vecB}`;
  const pipeline = pipelineFor(backend.device, key, () => matmulCode(transA, transB, hasBias, relu, f16, vecA, vecB));
  const out = newTensor<tf.Rank.R2>(backend, [M, N]);
  const inputs = hasBias ? [a, b, options.bias!, out] : [a, b, out];
  if (M > 0 && N > 0) {
    dispatch(backend, pipeline, inputs, [M, N, K, 0], [Math.ceil(N / tile), Math.ceil(M / tile), 1]);
  }
  return out;
}

/**
 * Dense layer y = act(x @ w + b) as one dispatch, differentiable: the backward pass is two more matmul
 * dispatches (dx = dy' @ wᵀ, dw = xᵀ @ dy') plus a column sum for db, all in the same precision.
 * @param x [N,K] @param w [K,M] @param b [M] @returns y [N,M]
 */
export function fusedDense(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  options: { relu?: boolean; precision?: KernelPrecision } = {},
): tf.Tensor2D {
  const precision = options.precision ?? 'float32';
  const relu = options.relu ?? false;
  const op = tf.customGrad<tf.Tensor2D>((xIn, wIn, bIn, save) => {
    const [xs, ws, bs] = [xIn as tf.Tensor2D, wIn as tf.Tensor2D, bIn as tf.Tensor1D];
    const y = gpuMatmul(xs, ws, { bias: bs, relu, precision });
    (save as tf.GradSaveFunc)([xs, ws, y]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [xSaved, wSaved, ySaved] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dyAct = (relu ? tf.mul(dy, tf.step(ySaved)) : dy) as tf.Tensor2D;
        return [
          gpuMatmul(dyAct, wSaved, { transposeB: true, precision }),
          gpuMatmul(xSaved, dyAct, { transposeA: true, precision }),
          tf.sum(dyAct, 0),
        ];
      },
    };
  });
  return op(x, w, b);
}
