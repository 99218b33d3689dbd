/**
 * Seeded weight initialisers with Keras' defaults, computed in plain JS so a seed gives the same weights on
 * every backend: glorot_uniform (Dense, LSTM kernel), orthogonal (LSTM recurrent kernel),
 * uniform(-0.05, 0.05) (Embedding), zeros (biases), and the LSTM's unit_forget_bias.
 */
import { mulberry32, normal, type RandomSource } from '../core/rng.ts';

export function glorotUniform(rand: RandomSource, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < values.length; i++) values[i] = (rand() * 2 - 1) * limit;
  return values;
}

export function uniform(rand: RandomSource, size: number, limit: number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < values.length; i++) values[i] = (rand() * 2 - 1) * limit;
  return values;
}

/**
 * Keras Orthogonal for a [rows, cols] matrix with rows <= cols: rows are orthonormal (Gram–Schmidt on
 * normal deviates, which is what QR of a Gaussian matrix computes, up to signs).
 * @returns [rows, cols] row-major
 */
export function orthogonal(rand: RandomSource, rows: number, cols: number): Float32Array {
  const transpose = rows > cols;
  const [r, c] = transpose ? [cols, rows] : [rows, cols];
  const basis: Float64Array[] = [];
  for (let i = 0; i < r; i++) {
    const v = new Float64Array(c);
    for (let k = 0; k < c; k++) v[k] = normal(rand);
    // Twice-repeated Gram–Schmidt keeps orthogonality to float precision.
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        let dot = 0;
        for (let k = 0; k < c; k++) dot += v[k] * b[k];
        for (let k = 0; k < c; k++) v[k] -= dot * b[k];
      }
    }
    let norm = 0;
    for (let k = 0; k < c; k++) norm += v[k] * v[k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < c; k++) v[k] /= norm;
    basis.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < c; k++) {
      if (transpose) out[k * cols + i] = basis[i][k];
      else out[i * cols + k] = basis[i][k];
    }
  }
  return out;
}

export { mulberry32 };
