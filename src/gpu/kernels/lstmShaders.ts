/**
 * WGSL for the fused LSTM: one dispatch per time step forward and one per step backward. Each invocation owns
 * one hidden unit j and `rows` batch rows, and computes all four gates of unit j (Keras order i, f, c, o:
 * columns j, H+j, 2H+j, 3H+j), so the recurrent matmul, bias (already in xw), activations and the cell update
 * happen in one kernel without writing pre-activations out. The recurrent matmul reads U per lane (the lane's
 * unit) and the previous state uniformly (the same address for every lane of the workgroup), from a small
 * ping-pong state buffer read as vec4: on CPU emulations a uniform load is one scalar load where a per-lane load
 * is a gather (see wgsl.ts), so this beats workgroup-memory tiling there (~2x forward, ~2.5x backward on
 * lavapipe) and needs no barriers anywhere.
 * f16: operands are converted to f16 and multiplied in f16 (a round trip f32 → f16 → f32 alone may be folded
 * away by a driver's compiler); sums, activations and the cell state stay f32 (the cell state is a long running
 * sum).
 */
import { unrolled, wgslHeader } from './wgsl.ts';

export interface StepShape {
  /** Batch rows per invocation: its register block (4 accumulators a row forward, 1 backward). */
  rows: number;
  /** Invocations per workgroup (units). */
  width: number;
}

const activations = `fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// tanh saturates to ±1 well before |x| = 15 in f32; guarding keeps large inputs finite on every driver
// while NaN still propagates (abs(NaN) > 15 is false).
fn tanhSafe(x: f32) -> f32 { return select(tanh(x), sign(x), abs(x) > 15.0); }`;

const dimsFields: [string, string, string, string] = ['B', 'T', 'H', 't'];

/** A vec4 operand in the compute precision. */
const operand = (f16: boolean) => (e: string) => (f16 ? `vec4<f16>(${e})` : e);

/** Row length of the forward state buffer: H rounded up to whole vec4 (the padding holds zeros). */
export const paddedUnits = (H: number) => Math.ceil(H / 4) * 4;

/**
 * Forward step t: gates = xw[:, t] + h_{t-1} @ U, then c_t, h_t; masked rows carry h and c unchanged.
 * hIn holds h_{t-1} (written by step t-1 as its hOut), rows of paddedUnits(H).
 */
export function lstmForwardStepCode(f16: boolean, s: StepShape): string {
  const { rows: R, width: W } = s;
  const inCompute = operand(f16);
  const uAt = (q: number) => `let u${q} = ${inCompute(`loadU(min(k + ${q}u, H - 1u), j)`)};`;
  const fma = (r: number) => unrolled(4, (q) => (f16 ? `vec4<f32>(u${q} * h${r}[${q}])` : `u${q} * h${r}[${q}]`), ' + ');
  return `${wgslHeader(f16, dimsFields, [
    { name: 'xw', element: 'f32', access: 'read', shape: '[B,T,4H] x@W + b' },
    { name: 'U', element: 'f32', access: 'read', shape: '[H,4H] Keras recurrent kernel' },
    { name: 'mask', element: 'f32', access: 'read', shape: '[B,T]' },
    { name: 'hIn', element: 'vec4<f32>', access: 'read', shape: '[B,Hp/4] h_{t-1}' },
    { name: 'hOut', element: 'f32', access: 'read_write', shape: '[B,Hp] h_t' },
    { name: 'hSeq', element: 'f32', access: 'read_write', shape: '[B,T,H]' },
    { name: 'cSeq', element: 'f32', access: 'read_write', shape: '[B,T,H]' },
    { name: 'gates', element: 'f32', access: 'read_write', shape: '[B,T,4H] activated i,f,g,o' },
  ])}
${activations}
/** The four gate columns (i, f, g, o) of unit j in row k of U. */
fn loadU(k: u32, j: u32) -> vec4<f32> {
  let base = k * 4u * dims.H + j;
  return vec4<f32>(U[base], U[base + dims.H], U[base + 2u * dims.H], U[base + 3u * dims.H]);
}

@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = dims.H;
  let quads = (H + 3u) / 4u;
  let jLane = wid.x * ${W}u + lid.x;
  let j = min(jLane, H - 1u);
  let b0 = wid.y * ${R}u;
  ${unrolled(R, (r) => `var a${r} = vec4<f32>(0.0);`, '\n  ')}
  if (dims.t > 0u) {
    ${unrolled(R, (r) => `let p${r} = min(b0 + ${r}u, dims.B - 1u) * quads;`, '\n    ')}
    for (var kq = 0u; kq < quads; kq++) {
      let k = kq * 4u;
      ${unrolled(4, uAt, '\n      ')}
      ${unrolled(R, (r) => `let h${r} = ${inCompute(`hIn[p${r} + kq]`)};\n      a${r} += ${fma(r)};`, '\n      ')}
    }
  }
  if (jLane >= quads * 4u) { return; }
  ${unrolled(R, (r) => `cell(b0 + ${r}u, jLane, a${r});`, '\n  ')}
}

fn cell(b: u32, j: u32, acc: vec4<f32>) {
  if (b >= dims.B) { return; }
  let H = dims.H;
  let hp = (H + 3u) / 4u * 4u;
  if (j >= H) { hOut[b * hp + j] = 0.0; return; }
  let row = b * dims.T + dims.t;
  let zb = row * 4u * H;
  let z = acc + vec4<f32>(xw[zb + j], xw[zb + H + j], xw[zb + 2u * H + j], xw[zb + 3u * H + j]);
  let ig = sigmoid(z.x);
  let fg = sigmoid(z.y);
  let gg = tanhSafe(z.z);
  let og = sigmoid(z.w);
  var cPrev = 0.0;
  var hPrev = 0.0;
  if (dims.t > 0u) {
    cPrev = cSeq[(row - 1u) * H + j];
    hPrev = hSeq[(row - 1u) * H + j];
  }
  let c = fg * cPrev + ig * gg;
  let real = mask[row] > 0.5;
  let h = select(hPrev, og * tanhSafe(c), real);
  hSeq[row * H + j] = h;
  hOut[b * hp + j] = h;
  cSeq[row * H + j] = select(cPrev, c, real);
  gates[zb + j] = ig;
  gates[zb + H + j] = fg;
  gates[zb + 2u * H + j] = gg;
  gates[zb + 3u * H + j] = og;
}
`;
}

/** Floats in one backward state buffer: dz of a step [B,4H], then the carried dh [B,H] and dc [B,H]. */
export const backwardStateLength = (B: number, H: number) => 6 * B * H;

/**
 * Backward step t (run for t = T-1 … 0). First finishes the recurrent matmul of step t+1
 * (dh_t += dz_{t+1} @ Uᵀ, U read as vec4 along 4H), then the cell backward of step t, writing dz_t
 * (pre-activation gate gradients) to dZ and to stateOut. stateIn is step t+1's stateOut: its dz, the dh passed
 * straight through a masked step and the cell-state gradient (layout: backwardStateLength).
 */
export function lstmBackwardStepCode(f16: boolean, s: StepShape): string {
  const { rows: R, width: W } = s;
  const inCompute = operand(f16);
  const dotp = (r: number) =>
    f16 ? `dot(vec4<f32>(u * vec4<f16>(stateIn[q${r} + kq])), vec4<f32>(1.0))` : `dot(u, stateIn[q${r} + kq])`;
  return `${wgslHeader(f16, dimsFields, [
    { name: 'dZ', element: 'f32', access: 'read_write', shape: '[B,T,4H]' },
    { name: 'U', element: 'vec4<f32>', access: 'read', shape: '[H,4H] as quads along 4H' },
    { name: 'mask', element: 'f32', access: 'read', shape: '[B,T]' },
    { name: 'gates', element: 'f32', access: 'read', shape: '[B,T,4H]' },
    { name: 'cSeq', element: 'f32', access: 'read', shape: '[B,T,H]' },
    { name: 'dhSeq', element: 'f32', access: 'read', shape: '[B,T,H] upstream gradient' },
    { name: 'stateIn', element: 'vec4<f32>', access: 'read', shape: 'step t+1: dz [B,4H], dh [B,H], dc [B,H]' },
    { name: 'stateOut', element: 'f32', access: 'read_write', shape: 'step t, same layout' },
  ])}
${activations}
fn carried(i: u32) -> f32 { return stateIn[i / 4u][i % 4u]; }

@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = dims.H;
  let jLane = wid.x * ${W}u + lid.x;
  let j = min(jLane, H - 1u);
  let b0 = wid.y * ${R}u;
  let notLast = dims.t + 1u < dims.T;
  ${unrolled(R, (r) => `var a${r} = 0.0;`, '\n  ')}
  if (notLast) {
    ${unrolled(R, (r) => `let q${r} = min(b0 + ${r}u, dims.B - 1u) * H;`, '\n    ')}
    // Row j of U holds H quads; lanes read rows 4H apart (measured as fast as a regrouped copy on lavapipe).
    for (var kq = 0u; kq < H; kq++) {
      let u = ${inCompute('U[j * H + kq]')};
      ${unrolled(R, (r) => `a${r} += ${dotp(r)};`, '\n      ')}
    }
  }
  if (jLane >= H) { return; }
  ${unrolled(R, (r) => `cell(b0 + ${r}u, j, a${r}, notLast);`, '\n  ')}
}

fn cell(b: u32, j: u32, r: f32, notLast: bool) {
  if (b >= dims.B) { return; }
  let H = dims.H;
  let G = 4u * H;
  let dhAt = 4u * dims.B * H + b * H + j;
  let dcAt = 5u * dims.B * H + b * H + j;
  var dhCarry = 0.0;
  var dcCarry = 0.0;
  if (notLast) {
    dhCarry = select(carried(dhAt), r, mask[b * dims.T + dims.t + 1u] > 0.5);
    dcCarry = carried(dcAt);
  }
  let row = b * dims.T + dims.t;
  let gb = row * G;
  let dhTot = dhSeq[row * H + j] + dhCarry;
  var dz = vec4<f32>(0.0);
  if (mask[row] > 0.5) {
    let ig = gates[gb + j];
    let fg = gates[gb + H + j];
    let gg = gates[gb + 2u * H + j];
    let og = gates[gb + 3u * H + j];
    let tc = tanhSafe(cSeq[row * H + j]);
    var cPrev = 0.0;
    if (dims.t > 0u) { cPrev = cSeq[(row - 1u) * H + j]; }
    let dc = dcCarry + dhTot * og * (1.0 - tc * tc);
    dz = vec4<f32>(dc * gg * ig * (1.0 - ig), dc * cPrev * fg * (1.0 - fg), dc * ig * (1.0 - gg * gg),
                   dhTot * tc * og * (1.0 - og));
    stateOut[dhAt] = 0.0;
    stateOut[dcAt] = dc * fg;
  } else {
    stateOut[dhAt] = dhTot;
    stateOut[dcAt] = dcCarry;
  }
  let sb = b * G;
  for (var g = 0u; g < 4u; g++) {
    dZ[gb + g * H + j] = dz[g];
    stateOut[sb + g * H + j] = dz[g];
  }
}
`;
}
