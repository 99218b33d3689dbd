/**
 * WGSL for the fused LSTM: one dispatch per time step forward and one per step backward. Each invocation owns
 * one (batch row b, hidden unit j) and computes all four gates of unit j (Keras order i, f, c, o: columns j,
 * H+j, 2H+j, 3H+j), so the recurrent matmul, bias (already in xw), activations and the cell update happen in
 * one kernel without writing pre-activations out. The four gates of a unit travel as one vec4, so the
 * recurrent matmul is the vec4 pattern of matmul.ts: 8x8 invocations, each owning 4 batch rows of one unit
 * (a tile of 8 units x 32 rows), K chunks of 32 through workgroup memory. With f16 the matmul operands are rounded to f16 in workgroup memory and
 * multiplied in f16; sums, activations and the cell state stay f32 (the cell state is a long running sum).
 */

const common = (f16: boolean) => `${f16 ? 'enable f16;' : ''}
struct Dims { B: u32, T: u32, H: u32, t: u32 }
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// tanh saturates to ±1 well before |x| = 15 in f32; guarding keeps large inputs finite on every driver
// while NaN still propagates (abs(NaN) > 15 is false).
fn tanhSafe(x: f32) -> f32 { return select(tanh(x), sign(x), abs(x) > 15.0); }
`;

/** Forward step t: gates = xw[:, t] + h_{t-1} @ U, then c_t, h_t; masked rows carry h and c unchanged. */
export function lstmForwardStepCode(f16: boolean): string {
  const ct = f16 ? 'f16' : 'f32';
  const prod = f16 ? (u: string, h: string) => `vec4<f32>(${u} * ${h})` : (u: string, h: string) => `${u} * ${h}`;
  return `${common(f16)}
@group(0) @binding(0) var<storage, read> xw: array<f32>;            // [B,T,4H] x@W + b
@group(0) @binding(1) var<storage, read> Uq: array<vec4<f32>>;     // [H,H] of (i,f,g,o): U regrouped by unit
@group(0) @binding(2) var<storage, read> mask: array<f32>;          // [B,T]
@group(0) @binding(3) var<storage, read_write> hSeq: array<f32>;    // [B,T,H]
@group(0) @binding(4) var<storage, read_write> cSeq: array<f32>;    // [B,T,H]
@group(0) @binding(5) var<storage, read_write> gates: array<f32>;   // [B,T,4H] activated i,f,g,o
@group(0) @binding(6) var<uniform> dims: Dims;
var<workgroup> Hs: array<array<vec4<${ct}>, 8>, 32>;   // [row][k/4]
var<workgroup> Us: array<array<vec4<${ct}>, 8>, 32>;   // [k][unit]: (i, f, g, o) columns of unit

fn hPrev(b: u32, k: u32) -> f32 {
  if (b >= dims.B || k >= dims.H) { return 0.0; }
  return hSeq[(b * dims.T + dims.t - 1u) * dims.H + k];
}
fn uGates(k: u32, unit: u32) -> vec4<f32> {
  if (k >= dims.H || unit >= dims.H) { return vec4<f32>(0.0); }
  return Uq[k * dims.H + unit];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = dims.H;
  let G = 4u * H;
  let j = wid.x * 8u + lid.x;
  let rowBase = wid.y * 32u;
  var acc: array<vec4<f32>, 4>;
  if (dims.t > 0u) {
    for (var k0 = 0u; k0 < H; k0 += 32u) {
      for (var i = 0u; i < 4u; i++) {
        let r = lid.y * 4u + i;
        let b = rowBase + r;
        let k = k0 + lid.x * 4u;
        Hs[r][lid.x] = vec4<${ct}>(vec4<f32>(hPrev(b, k), hPrev(b, k + 1u), hPrev(b, k + 2u), hPrev(b, k + 3u)));
        // 32 k x 8 units of U: invocation (x, y) loads rows y*4+i of unit x.
        Us[r][lid.x] = vec4<${ct}>(uGates(k0 + r, wid.x * 8u + lid.x));
      }
      workgroupBarrier();
      for (var kq = 0u; kq < 8u; kq++) {
        let u0 = Us[kq * 4u][lid.x];
        let u1 = Us[kq * 4u + 1u][lid.x];
        let u2 = Us[kq * 4u + 2u][lid.x];
        let u3 = Us[kq * 4u + 3u][lid.x];
        for (var i = 0u; i < 4u; i++) {
          let h = Hs[lid.y * 4u + i][kq];
          acc[i] += ${prod('u0', 'h.x')} + ${prod('u1', 'h.y')} + ${prod('u2', 'h.z')} + ${prod('u3', 'h.w')};
        }
      }
      workgroupBarrier();
    }
  }
  if (j >= H) { return; }
  for (var i = 0u; i < 4u; i++) {
    let b = rowBase + lid.y * 4u + i;
    if (b < dims.B) {
      let row = b * dims.T + dims.t;
      let zb = row * G;
      let z = acc[i] + vec4<f32>(xw[zb + j], xw[zb + H + j], xw[zb + 2u * H + j], xw[zb + 3u * H + j]);
      let ig = sigmoid(z.x);
      let fg = sigmoid(z.y);
      let gg = tanhSafe(z.z);
      let og = sigmoid(z.w);
      var cPrev = 0.0;
      var hPrevJ = 0.0;
      if (dims.t > 0u) {
        cPrev = cSeq[(row - 1u) * H + j];
        hPrevJ = hSeq[(row - 1u) * H + j];
      }
      let c = fg * cPrev + ig * gg;
      let h = og * tanhSafe(c);
      let real = mask[row] > 0.5;
      hSeq[row * H + j] = select(hPrevJ, h, real);
      cSeq[row * H + j] = select(cPrev, c, real);
      gates[zb + j] = ig;
      gates[zb + H + j] = fg;
      gates[zb + 2u * H + j] = gg;
      gates[zb + 3u * H + j] = og;
    }
  }
}
`;
}

/**
 * Backward step t (run for t = T-1 … 0). First finishes the recurrent matmul of step t+1
 * (dh_t += dz_{t+1} @ Uᵀ), then the cell backward of step t, writing dz_t (pre-activation gate gradients).
 * carry[b, 0:H] holds dh passed straight through a masked step, carry[b, H:2H] the cell-state gradient.
 */
export function lstmBackwardStepCode(f16: boolean): string {
  const ct = f16 ? 'f16' : 'f32';
  const dotp = f16 ? (a: string, b: string) => `dot(vec4<f32>(${a} * ${b}), vec4<f32>(1.0))` : (a: string, b: string) => `dot(${a}, ${b})`;
  return `${common(f16)}
@group(0) @binding(0) var<storage, read_write> dZ: array<f32>;      // [B,T,4H]
@group(0) @binding(1) var<storage, read> U4: array<vec4<f32>>;     // [H,4H] as quads along 4H
@group(0) @binding(2) var<storage, read> mask: array<f32>;          // [B,T]
@group(0) @binding(3) var<storage, read> gates: array<f32>;         // [B,T,4H]
@group(0) @binding(4) var<storage, read> cSeq: array<f32>;          // [B,T,H]
@group(0) @binding(5) var<storage, read> dhSeq: array<f32>;         // [B,T,H] upstream gradient
@group(0) @binding(6) var<storage, read_write> carry: array<f32>;   // [B,2H]
@group(0) @binding(7) var<uniform> dims: Dims;
// K = 4H here, so chunks of 64 (twice the forward's) halve the barriers per step.
var<workgroup> Ds: array<array<vec4<${ct}>, 16>, 32>;  // [row][k/4] of dz_{t+1}
var<workgroup> Us: array<array<vec4<${ct}>, 8>, 16>;   // [k/4][unit] of U: neighbouring invocations read neighbours

fn dzNext(b: u32, k: u32) -> f32 {
  if (b >= dims.B || k >= 4u * dims.H) { return 0.0; }
  return dZ[(b * dims.T + dims.t + 1u) * 4u * dims.H + k];
}
fn uQuad(unit: u32, k: u32) -> vec4<f32> {
  if (unit >= dims.H || k >= 4u * dims.H) { return vec4<f32>(0.0); }
  return U4[(unit * 4u * dims.H + k) / 4u];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = dims.H;
  let G = 4u * H;
  let j = wid.x * 8u + lid.x;
  let rowBase = wid.y * 32u;
  let notLast = dims.t + 1u < dims.T;
  var r = vec4<f32>(0.0);
  if (notLast) {
    for (var k0 = 0u; k0 < G; k0 += 64u) {
      for (var half = 0u; half < 2u; half++) {
        let q = lid.x + 8u * half;
        let k = k0 + q * 4u;
        for (var i = 0u; i < 4u; i++) {
          let b = rowBase + lid.y * 4u + i;
          Ds[lid.y * 4u + i][q] = vec4<${ct}>(vec4<f32>(dzNext(b, k), dzNext(b, k + 1u), dzNext(b, k + 2u), dzNext(b, k + 3u)));
        }
        // 8 units x 16 vec4 of U rows: invocation (x, y) loads unit y, k-quads x and x + 8.
        Us[q][lid.y] = vec4<${ct}>(uQuad(wid.x * 8u + lid.y, k));
      }
      workgroupBarrier();
      for (var kq = 0u; kq < 16u; kq++) {
        let u = Us[kq][lid.x];
        r += vec4<f32>(${dotp('Ds[lid.y * 4u][kq]', 'u')}, ${dotp('Ds[lid.y * 4u + 1u][kq]', 'u')},
                       ${dotp('Ds[lid.y * 4u + 2u][kq]', 'u')}, ${dotp('Ds[lid.y * 4u + 3u][kq]', 'u')});
      }
      workgroupBarrier();
    }
  }
  if (j >= H) { return; }
  for (var i = 0u; i < 4u; i++) {
    let b = rowBase + lid.y * 4u + i;
    if (b < dims.B) {
      let cb = b * 2u * H;
      var dhCarry = 0.0;
      var dcCarry = 0.0;
      if (notLast) {
        dhCarry = select(carry[cb + j], r[i], mask[b * dims.T + dims.t + 1u] > 0.5);
        dcCarry = carry[cb + H + j];
      }
      let row = b * dims.T + dims.t;
      let gb = row * G;
      let dhTot = dhSeq[row * H + j] + dhCarry;
      if (mask[row] > 0.5) {
        let ig = gates[gb + j];
        let fg = gates[gb + H + j];
        let gg = gates[gb + 2u * H + j];
        let og = gates[gb + 3u * H + j];
        let tc = tanhSafe(cSeq[row * H + j]);
        var cPrev = 0.0;
        if (dims.t > 0u) { cPrev = cSeq[(row - 1u) * H + j]; }
        let dc = dcCarry + dhTot * og * (1.0 - tc * tc);
        dZ[gb + j] = dc * gg * ig * (1.0 - ig);
        dZ[gb + H + j] = dc * cPrev * fg * (1.0 - fg);
        dZ[gb + 2u * H + j] = dc * ig * (1.0 - gg * gg);
        dZ[gb + 3u * H + j] = dhTot * tc * og * (1.0 - og);
        carry[cb + j] = 0.0;
        carry[cb + H + j] = dc * fg;
      } else {
        dZ[gb + j] = 0.0;
        dZ[gb + H + j] = 0.0;
        dZ[gb + 2u * H + j] = 0.0;
        dZ[gb + 3u * H + j] = 0.0;
        carry[cb + j] = dhTot;
        carry[cb + H + j] = dcCarry;
      }
    }
  }
}
`;
}
