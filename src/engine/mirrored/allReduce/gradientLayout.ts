/**
 * How a replica's gradients are laid out for the all-reduce: dense variables concatenated into one flat
 * vector (reduced by the ring or the hub), sparse-row variables (embedding tables [rows, width]) sent as
 * the indices and values of their non-zero rows only.
 */
import type { VariableInfo } from '../../../model/replicaModel.ts';

export interface SparseRows {
  /** Ascending row indices. */
  indices: Int32Array;
  /** [indices.length, width] row-major. */
  rows: Float32Array;
}

export interface GradientLayout {
  /** Variable indices reduced densely, in order, with their offsets in the flat vector. */
  dense: { variable: number; offset: number; length: number }[];
  denseLength: number;
  /** Variable indices reduced as sparse rows. */
  sparse: { variable: number; rowCount: number; width: number }[];
  variableCount: number;
}

export function gradientLayout(variables: readonly VariableInfo[], useSparse = true): GradientLayout {
  const dense: GradientLayout['dense'] = [];
  const sparse: GradientLayout['sparse'] = [];
  let offset = 0;
  variables.forEach((info, variable) => {
    const length = info.shape.reduce((a, b) => a * b, 1);
    if (useSparse && info.sparseRows && info.shape.length === 2) {
      sparse.push({ variable, rowCount: info.shape[0], width: info.shape[1] });
    } else {
      dense.push({ variable, offset, length });
      offset += length;
    }
  });
  return { dense, denseLength: offset, sparse, variableCount: variables.length };
}

/**
 * The dense gradients in one array, in layout order: a new one, or `into` (denseLength values) when the
 * caller keeps one from step to step.
 */
export function flattenDense(layout: GradientLayout, gradients: Float32Array[], into?: Float32Array): Float32Array {
  if (into && into.length !== layout.denseLength) throw new RangeError(`flattenDense: ${into.length} values to write ${layout.denseLength} into`);
  const flat = into ?? new Float32Array(layout.denseLength);
  for (const { variable, offset } of layout.dense) flat.set(gradients[variable], offset);
  return flat;
}

/** The rows of a [rowCount, width] gradient that hold any non-zero value. */
export function extractSparseRows(gradient: Float32Array, width: number): SparseRows {
  const rowCount = gradient.length / width;
  const nonZero: number[] = [];
  for (let row = 0; row < rowCount; row++) {
    const base = row * width;
    for (let i = 0; i < width; i++) {
      if (gradient[base + i] !== 0) {
        nonZero.push(row);
        break;
      }
    }
  }
  const indices = Int32Array.from(nonZero);
  const rows = new Float32Array(indices.length * width);
  indices.forEach((row, k) => rows.set(gradient.subarray(row * width, (row + 1) * width), k * width));
  return { indices, rows };
}

/**
 * Sums sparse contributions in the order given (replica 0 first): every replica merging the same inputs in
 * the same order gets the same bits. Returns the union of rows, ascending.
 */
export function sumSparseRows(parts: readonly SparseRows[], width: number): SparseRows {
  const union = new Set<number>();
  for (const part of parts) part.indices.forEach((row) => union.add(row));
  const indices = Int32Array.from([...union].sort((a, b) => a - b));
  const position = new Map<number, number>();
  indices.forEach((row, k) => position.set(row, k));
  const rows = new Float32Array(indices.length * width);
  for (const part of parts) {
    part.indices.forEach((row, k) => {
      const base = position.get(row)! * width;
      for (let i = 0; i < width; i++) rows[base + i] += part.rows[k * width + i];
    });
  }
  return { indices, rows };
}

/**
 * Mean gradients for the optimizer from the reduced sums: each value divided by the global token count,
 * the same operation on every replica. The dense sums are divided in place and the dense means are views of
 * `denseSum` (no second copy of every gradient each step); the sparse variables get arrays of their own.
 */
export function meanGradients(
  layout: GradientLayout,
  denseSum: Float32Array,
  sparseSums: readonly SparseRows[],
  globalTokenCount: number,
): Float32Array[] {
  const result: Float32Array[] = new Array(layout.variableCount);
  const divisor = Math.max(globalTokenCount, 1);
  for (const { variable, offset, length } of layout.dense) {
    const mean = denseSum.subarray(offset, offset + length);
    for (let i = 0; i < length; i++) mean[i] /= divisor;
    result[variable] = mean;
  }
  layout.sparse.forEach(({ variable, rowCount, width }, k) => {
    const mean = new Float32Array(rowCount * width);
    const { indices, rows } = sparseSums[k];
    indices.forEach((row, j) => {
      for (let i = 0; i < width; i++) mean[row * width + i] = rows[j * width + i] / divisor;
    });
    result[variable] = mean;
  });
  return result;
}

export function sparseBytes(parts: readonly SparseRows[]): number {
  return parts.reduce((sum, p) => sum + p.indices.byteLength + p.rows.byteLength, 0);
}
