/**
 * WGSL for the fused LSTM: one dispatch per time step forward and one per step backward. Each invocation owns
 * one (batch row b, hidden unit j) and computes all four gates of unit j (Keras order i, f, c, o: columns j,
 * H+j, 2H+j, 3H+j), so the recurrent matmul, bias (already in xw), activations and the cell update happen in
 * one kernel without writing pre-activations out. Tiles: 16 units x 16 batch rows per workgroup, K chunks of
 * 16 through workgroup memory. With f16 the matmul operands are rounded to f16 in workgroup memory and
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
  return `${common(f16)}
@group(0) @binding(0) var<storage, read> xw: array<f32>;            // [B,T,4H] x@W + b
@group(0) @binding(1) var<storage, read> U: array<f32>;             // [H,4H]
@group(0) @binding(2) var<storage, read> mask: array<f32>;          // [B,T]
@group(0) @binding(3) var<storage, read_write> hSeq: array<f32>;    // [B,T,H]
@group(0) @binding(4) var<storage, read_write> cSeq: array<f32>;    // [B,T,H]
@group(0) @binding(5) var<storage, read_write> gates: array<f32>;   // [B,T,4H] activated i,f,g,o
@group(0) @binding(6) var<uniform> dims: Dims;
var<workgroup> Hs: array<array<${ct}, 16>, 16>;   // [k][b]
var<workgroup> Us: array<array<${ct}, 64>, 16>;   // [k][gate*16 + unit]

fn hPrev(b: u32, k: u32) -> f32 {
  if (b >= dims.B || k >= dims.H) { return 0.0; }
  return hSeq[(b * dims.T + dims.t - 1u) * dims.H + k];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = dims.H;
  let G = 4u * H;
  let j0 = wid.x * 16u;
  let b0 = wid.y * 16u;
  let j = j0 + lid.x;
  let b = b0 + lid.y;
  var acc = vec4<f32>(0.0);
  if (dims.t > 0u) {
    for (var k0 = 0u; k0 < H; k0 += 16u) {
      Hs[lid.x][lid.y] = ${ct}(hPrev(b0 + lid.y, k0 + lid.x));
      for (var q = 0u; q < 4u; q++) {
        let e = (lid.y * 16u + lid.x) * 4u + q;
        let kk = e / 64u;
        let col = e % 64u;
        let unit = j0 + col % 16u;
        var u = 0.0;
        if (k0 + kk < H && unit < H) { u = U[(k0 + kk) * G + (col / 16u) * H + unit]; }
        Us[kk][col] = ${ct}(u);
      }
      workgroupBarrier();
      for (var kk = 0u; kk < 16u; kk++) {
        let hv = Hs[kk][lid.y];
        acc += vec4<f32>(f32(hv * Us[kk][lid.x]), f32(hv * Us[kk][16u + lid.x]),
                         f32(hv * Us[kk][32u + lid.x]), f32(hv * Us[kk][48u + lid.x]));
      }
      workgroupBarrier();
    }
  }
  if (b >= dims.B || j >= H) { return; }
  let row = b * dims.T + dims.t;
  let zb = row * G;
  let i = sigmoid(acc.x + xw[zb + j]);
  let f = sigmoid(acc.y + xw[zb + H + j]);
  let g = tanhSafe(acc.z + xw[zb + 2u * H + j]);
  let o = sigmoid(acc.w + xw[zb + 3u * H + j]);
  var cPrev = 0.0;
  var hPrevJ = 0.0;
  if (dims.t > 0u) {
    cPrev = cSeq[(row - 1u) * H + j];
    hPrevJ = hSeq[(row - 1u) * H + j];
  }
  let c = f * cPrev + i * g;
  let h = o * tanhSafe(c);
  let real = mask[row] > 0.5;
  hSeq[row * H + j] = select(hPrevJ, h, real);
  cSeq[row * H + j] = select(cPrev, c, real);
  gates[zb + j] = i;
  gates[zb + H + j] = f;
  gates[zb + 2u * H + j] = g;
  gates[zb + 3u * H + j] = o;
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
  return `${common(f16)}
@group(0) @binding(0) var<storage, read_write> dZ: array<f32>;      // [B,T,4H]
@group(0) @binding(1) var<storage, read> U: array<f32>;             // [H,4H]
@group(0) @binding(2) var<storage, read> mask: array<f32>;          // [B,T]
@group(0) @binding(3) var<storage, read> gates: array<f32>;         // [B,T,4H]
@group(0) @binding(4) var<storage, read> cSeq: array<f32>;          // [B,T,H]
@group(0) @binding(5) var<storage, read> dhSeq: array<f32>;         // [B,T,H] upstream gradient
@group(0) @binding(6) var<storage, read_write> carry: array<f32>;   // [B,2H]
@group(0) @binding(7) var<uniform> dims: Dims;
var<workgroup> Ds: array<array<${ct}, 16>, 16>;   // [k][b]
var<workgroup> Us: array<array<${ct}, 16>, 16>;   // [k][unit]

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let H = dims.H;
  let G = 4u * H;
  let j0 = wid.x * 16u;
  let b0 = wid.y * 16u;
  let j = j0 + lid.x;
  let b = b0 + lid.y;
  let notLast = dims.t + 1u < dims.T;
  var r = 0.0;
  if (notLast) {
    for (var k0 = 0u; k0 < G; k0 += 16u) {
      let bl = b0 + lid.y;
      var d = 0.0;
      if (bl < dims.B) { d = dZ[(bl * dims.T + dims.t + 1u) * G + k0 + lid.x]; }
      Ds[lid.x][lid.y] = ${ct}(d);
      let unit = j0 + lid.x;
      var u = 0.0;
      if (unit < H) { u = U[unit * G + k0 + lid.y]; }
      Us[lid.y][lid.x] = ${ct}(u);
      workgroupBarrier();
      for (var kk = 0u; kk < 16u; kk++) {
        r += f32(Ds[kk][lid.y] * Us[kk][lid.x]);
      }
      workgroupBarrier();
    }
  }
  if (b >= dims.B || j >= H) { return; }
  let cb = b * 2u * H;
  var dhCarry = 0.0;
  var dcCarry = 0.0;
  if (notLast) {
    dhCarry = select(carry[cb + j], r, mask[b * dims.T + dims.t + 1u] > 0.5);
    dcCarry = carry[cb + H + j];
  }
  let row = b * dims.T + dims.t;
  let gb = row * G;
  let dhTot = dhSeq[row * H + j] + dhCarry;
  if (mask[row] > 0.5) {
    let i = gates[gb + j];
    let f = gates[gb + H + j];
    let g = gates[gb + 2u * H + j];
    let o = gates[gb + 3u * H + j];
    let tc = tanhSafe(cSeq[row * H + j]);
    var cPrev = 0.0;
    if (dims.t > 0u) { cPrev = cSeq[(row - 1u) * H + j]; }
    let dc = dcCarry + dhTot * o * (1.0 - tc * tc);
    dZ[gb + j] = dc * g * i * (1.0 - i);
    dZ[gb + H + j] = dc * cPrev * f * (1.0 - f);
    dZ[gb + 2u * H + j] = dc * i * (1.0 - g * g);
    dZ[gb + 3u * H + j] = dhTot * tc * o * (1.0 - o);
    carry[cb + j] = 0.0;
    carry[cb + H + j] = dc * f;
  } else {
    dZ[gb + j] = 0.0;
    dZ[gb + H + j] = 0.0;
    dZ[gb + 2u * H + j] = 0.0;
    dZ[gb + 3u * H + j] = 0.0;
    carry[cb + j] = dhTot;
    carry[cb + H + j] = dcCarry;
  }
}
`;
}
