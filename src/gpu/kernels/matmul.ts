/**
 * Matmul in WGSL with optional transposes, fused bias and relu, in f32 or f16 compute, in two shapes:
 * - tiled (real GPUs): tfjs' vec4 pattern, 8x8 invocations each computing 4 rows x one vec4 of columns, a
 *   32x32 output tile, K chunks of 32 through workgroup memory;
 * - rows (CPU emulations, f32, see wgsl.ts): each invocation owns 8 rows x 4 columns in registers, reads its
 *   B columns per lane and the A rows uniformly (one scalar load for all lanes), no workgroup memory, no
 *   barriers; about 2x the tiled kernel and tfjs' own matmul on lavapipe at the LSTM's sizes.
 * f16: operands are read as f32 (the weights stay f32, as in Keras mixed precision), rounded to f16, multiplied
 * in f16 (so products overflow to Inf above 65504 exactly as on real f16 hardware) and accumulated in f32.
 * Output is f32.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatch, hasShaderF16, newTensor, pipelineFor, webgpuBackend, type BackendInternals } from './dispatch.ts';
import { isCpuEmulated, unrolled, wgslHeader, type StorageBinding } from './wgsl.ts';

export type KernelPrecision = 'float32' | 'mixed_float16';
export type MatmulLayout = 'tiled' | 'rows';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** bias [N], added to every row. */
  bias?: tf.Tensor1D;
  relu?: boolean;
  precision?: KernelPrecision;
  /**
   * With transposeA: A's rows (the K axis) are read one row late within groups of this many rows, the first
   * of each group as zeros. The LSTM's dU reads h_{t-1} straight from hSeq [B·T, H] with groups of T.
   */
  shiftRowsOfA?: number;
  /** Kernel shape; default: rows on CPU emulations where the shapes allow it, tiled otherwise. */
  layout?: MatmulLayout;
}

interface Variant {
  transA: boolean;
  transB: boolean;
  hasBias: boolean;
  relu: boolean;
  f16: boolean;
  shift: boolean;
}

function bindings(v: Variant, a: StorageBinding, b: StorageBinding): StorageBinding[] {
  return [
    a,
    b,
    ...(v.hasBias ? [{ name: 'bias', element: 'f32', access: 'read', shape: '[N]' } as const] : []),
    { name: 'C', element: 'f32', access: 'read_write', shape: '[M,N]' },
  ];
}

const dimsFields: [string, string, string, string] = ['M', 'N', 'K', 'group'];

/** The stored row of A that row k of the K axis reads (shiftRowsOfA), and whether it reads zeros instead. */
const shiftHelpers = `fn shiftedRow(k: u32) -> u32 { return max(k, 1u) - 1u; }
fn rowIsZero(k: u32) -> bool { return k % dims.group == 0u; }`;

const tile = 32;

export function matmulTiledCode(v: Variant, vecA = false, vecB = false): string {
  const ct = v.f16 ? 'f16' : 'f32';
  // vecA/vecB: the operand's rows are contiguous along the loaded axis and a multiple of 4 long, so a quad is
  // one vec4 load (wholly in or out of bounds) instead of four guarded scalar loads.
  const loadA = vecA
    ? `select(vec4<f32>(0.0), A[(m * dims.K + ka) / 4u], m < dims.M && ka < dims.K)`
    : `vec4<f32>(readA(m, ka), readA(m, ka + 1u), readA(m, ka + 2u), readA(m, ka + 3u))`;
  const loadB = vecB
    ? `select(vec4<f32>(0.0), B[(kb * dims.N + n) / 4u], kb < dims.K && n < dims.N)`
    : `vec4<f32>(readB(kb, n), readB(kb, n + 1u), readB(kb, n + 2u), readB(kb, n + 3u))`;
  const aIndex = v.transA ? (v.shift ? 'shiftedRow(k) * dims.M + m' : 'k * dims.M + m') : 'm * dims.K + k';
  const aZero = v.shift ? ' || rowIsZero(k)' : '';
  // f16: the four products of a vec4 step are formed in f16 and each converted to f32 before the sum.
  const fma = v.f16 ? (b: string, a: string) => `vec4<f32>(${b} * ${a})` : (b: string, a: string) => `${b} * ${a}`;
  const a: StorageBinding = { name: 'A', element: vecA ? 'vec4<f32>' : 'f32', access: 'read' };
  const b: StorageBinding = { name: 'B', element: vecB ? 'vec4<f32>' : 'f32', access: 'read' };
  return `${wgslHeader(v.f16, dimsFields, bindings(v, a, b))}
var<workgroup> As: array<array<vec4<${ct}>, 8>, 32>;   // [m][k/4]
var<workgroup> Bs: array<array<vec4<${ct}>, 8>, 32>;   // [k][n/4]
${v.shift ? shiftHelpers : ''}
${vecA ? '' : `fn readA(m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K${aZero}) { return 0.0; }
  return A[${aIndex}];
}`}
${vecB ? '' : `fn readB(k: u32, n: u32) -> f32 {
  if (k >= dims.K || n >= dims.N) { return 0.0; }
  return B[${v.transB ? 'n * dims.K + k' : 'k * dims.N + n'}];
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
        var v = acc[i][j]${v.hasBias ? ' + bias[n]' : ''};
        ${v.relu ? 'v = max(v, 0.0);' : ''}
        C[m * dims.N + n] = v;
      }
    }
  }
}
`;
}

/** Rows per invocation and invocations per workgroup of the rows kernel (8 rows: 32 f32 accumulators). */
const rowsPerInvocation = 8;
const rowsWidth = 64;

/**
 * The rows kernel, f32 only: with f16 compute on a CPU emulation every f16 product is emulated with conversions
 * (and a round trip f32 → f16 → f32 may be folded away by the driver's compiler, losing the rounding), which
 * measured no faster than the tiled kernel, so f16 stays tiled.
 * Needs M % 4 == 0 with transposeA (A's quads along M are one vec4 load) and N >= 4.
 * vecB: B's rows are a multiple of 4 long (N % 4 == 0, no transposeB), so a lane's 4 columns are one vec4.
 * vecK: K % 4 == 0, so quads along K are whole (one vec4 load where K is the contiguous axis).
 */
export function matmulRowsCode(v: Variant, vecB: boolean, vecK: boolean): string {
  const R = rowsPerInvocation;
  if (v.f16) throw new Error('the rows matmul is f32 only');
  // K index k + q: with K % 4 != 0 the last quad reads clamped indices and its values are zeroed below.
  const kAt = (q: number) => (vecK ? `(k + ${q}u)` : `kc${q}`);
  const raw = vecK ? '' : 'Raw';
  // b{q}: the lane's 4 columns at K index k + q (per-lane loads).
  let bLoads: string;
  if (v.transB && vecK) {
    bLoads = `${unrolled(4, (c) => `let c${c} = B[(n${c} * dims.K + k) / 4u];`, '\n    ')}
    ${unrolled(4, (q) => `let b${q} = vec4<f32>(c0[${q}], c1[${q}], c2[${q}], c3[${q}]);`, '\n    ')}`;
  } else if (v.transB) {
    bLoads = unrolled(4, (q) => `let b${raw}${q} = vec4<f32>(${unrolled(4, (c) => `B[n${c} * dims.K + ${kAt(q)}]`, ', ')});`, '\n    ');
  } else if (vecB) {
    bLoads = unrolled(4, (q) => `let b${raw}${q} = B[(${kAt(q)} * dims.N + nQuad) / 4u];`, '\n    ');
  } else {
    bLoads = unrolled(4, (q) => `let b${raw}${q} = vec4<f32>(${unrolled(4, (c) => `B[${kAt(q)} * dims.N + n${c}]`, ', ')});`, '\n    ');
  }
  // a{r}: row mBase + r of op(A) at K indices k..k+3 (the same for every lane).
  let aLoads: string;
  if (v.transA) {
    const quads = R / 4;
    const rowOf = (q: number) => (v.shift ? `shiftedRow(${kAt(q)})` : kAt(q));
    const load = (q: number, i: number) => {
      const e = `A[(${rowOf(q)} * dims.M + mQuad${i}) / 4u]`;
      return v.shift ? `select(${e}, vec4<f32>(0.0), rowIsZero(${kAt(q)}))` : e;
    };
    aLoads = `${unrolled(4, (q) => unrolled(quads, (i) => `let t${q}_${i} = ${load(q, i)};`, '\n    '), '\n    ')}
    ${unrolled(R, (r) => {
      const [i, c] = [Math.floor(r / 4), r % 4];
      return `let a${raw}${r} = vec4<f32>(t0_${i}[${c}], t1_${i}[${c}], t2_${i}[${c}], t3_${i}[${c}]);`;
    }, '\n    ')}`;
  } else if (vecK) {
    aLoads = unrolled(R, (r) => `let a${r} = A[(m${r} * dims.K + k) / 4u];`, '\n    ');
  } else {
    aLoads = unrolled(R, (r) => `let aRaw${r} = vec4<f32>(${unrolled(4, (q) => `A[m${r} * dims.K + ${kAt(q)}]`, ', ')});`, '\n    ');
  }
  if (!vecK) {
    // Zero both operands past K (a clamped duplicate that is Inf would otherwise add Inf·0 = NaN).
    const kSetup = `${unrolled(4, (q) => `let kc${q} = min(k + ${q}u, dims.K - 1u);`, '\n    ')}
    let live = vec4<bool>(${unrolled(4, (q) => `k + ${q}u < dims.K`, ', ')});`;
    bLoads = `${kSetup}
    ${bLoads}
    ${unrolled(4, (q) => `let b${q} = select(vec4<f32>(0.0), bRaw${q}, live[${q}]);`, '\n    ')}`;
    aLoads = `${aLoads}
    ${unrolled(R, (r) => `let a${r} = select(vec4<f32>(0.0), aRaw${r}, live);`, '\n    ')}`;
  }
  const a: StorageBinding = { name: 'A', element: v.transA || vecK ? 'vec4<f32>' : 'f32', access: 'read' };
  const b: StorageBinding = { name: 'B', element: (v.transB ? vecK : vecB) ? 'vec4<f32>' : 'f32', access: 'read' };
  return `${wgslHeader(v.f16, dimsFields, bindings(v, a, b))}
${v.shift ? shiftHelpers : ''}
fn store(m: u32, n: u32, value: f32) {
  if (m < dims.M && n < dims.N) {
    var x = value${v.hasBias ? ' + bias[n]' : ''};
    ${v.relu ? 'x = max(x, 0.0);' : ''}
    C[m * dims.N + n] = x;
  }
}

@compute @workgroup_size(${rowsWidth})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let nBase = (wid.x * ${rowsWidth}u + lid.x) * 4u;
  let mBase = wid.y * ${R}u;
  // Lanes and rows past the edge read clamped (in-bounds) addresses and store nothing.
  ${unrolled(4, (c) => `let n${c} = min(nBase + ${c}u, dims.N - 1u);`, '\n  ')}
  let nQuad = min(nBase, dims.N - 4u);
  ${v.transA
    ? unrolled(R / 4, (i) => `let mQuad${i} = min(mBase + ${4 * i}u, dims.M - 4u);`, '\n  ')
    : unrolled(R, (r) => `let m${r} = min(mBase + ${r}u, dims.M - 1u);`, '\n  ')}
  ${unrolled(R, (r) => `var acc${r} = vec4<f32>(0.0);`, '\n  ')}
  for (var k = 0u; k < dims.K; k += 4u) {
    ${bLoads}
    ${aLoads}
    ${unrolled(R, (r) => `acc${r} += ${unrolled(4, (q) => `b${q} * a${r}[${q}]`, ' + ')};`, '\n    ')}
  }
  ${unrolled(R, (r) => unrolled(4, (c) => `store(mBase + ${r}u, nBase + ${c}u, acc${r}[${c}]);`, ' '), '\n  ')}
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
  const group = options.shiftRowsOfA ?? 0;
  if (group && !transA) throw new Error('gpuMatmul: shiftRowsOfA needs transposeA');
  const v: Variant = { transA, transB, hasBias: options.bias != null, relu: options.relu ?? false, f16, shift: group > 0 };
  const out = newTensor<tf.Rank.R2>(backend, [M, N]);
  if (M === 0 || N === 0) return out;
  const inputs = v.hasBias ? [a, b, options.bias!, out] : [a, b, out];
  const flags = `${+transA}${+transB}${+v.hasBias}${+v.relu}${f16 ? 'h' : 'f'}${+v.shift}`;
  const rowsFit = !f16 && K > 0 && (!transA || M % 4 === 0) && N >= 4;
  const layout = options.layout ?? (isCpuEmulated(backend.device) ? 'rows' : 'tiled');
  if (layout === 'rows' && rowsFit) {
    const vecB = !transB && N % 4 === 0;
    const vecK = K % 4 === 0;
    const pipeline = pipelineFor(backend.device, `matmulRows:${flags}${+vecB}${+vecK}`, () => matmulRowsCode(v, vecB, vecK));
    const groups: [number, number, number] = [Math.ceil(N / 4 / rowsWidth), Math.ceil(M / rowsPerInvocation), 1];
    dispatch(backend, pipeline, inputs, [M, N, K, group], groups);
  } else {
    const vecA = !transA && K % 4 === 0;
    const vecB = !transB && N % 4 === 0;
    const pipeline = pipelineFor(backend.device, `matmul:${flags}${+vecA}${+vecB}`, () => matmulTiledCode(v, vecA, vecB));
    dispatch(backend, pipeline, inputs, [M, N, K, group], [Math.ceil(N / tile), Math.ceil(M / tile), 1]);
  }
  return out;
}

/**
 * Column sums in f32 (the bias gradient): one invocation per column, rows read in order.
 * @param x [M,N] @returns [N]
 */
export function gpuColumnSum(x: tf.Tensor2D): tf.Tensor1D {
  const backend = webgpuBackend();
  const [M, N] = x.shape;
  const out = newTensor<tf.Rank.R1>(backend, [N]);
  if (N === 0) return out;
  const pipeline = pipelineFor(backend.device, 'columnSum', () => `${wgslHeader(false, ['M', 'N', 'pad0', 'pad1'], [
    { name: 'X', element: 'f32', access: 'read', shape: '[M,N]' },
    { name: 'sums', element: 'f32', access: 'read_write', shape: '[N]' },
  ])}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= dims.N) { return; }
  var sum = 0.0;
  for (var m = 0u; m < dims.M; m++) { sum += X[m * dims.N + n]; }
  sums[n] = sum;
}
`);
  dispatch(backend, pipeline, [x, out], [M, N, 0, 0], [Math.ceil(N / 64), 1, 1]);
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
          gpuColumnSum(dyAct),
        ];
      },
    };
  });
  return op(x, w, b);
}
