/** The pure parts of the all-reduce: sparse rows, the hub's fixed-order sum, mean gradients, shards. */
import { describe, expect, test } from 'vitest';
import { extractSparseRows, flattenDense, gradientLayout, meanGradients, sumSparseRows } from '../../../../../src/engine/mirrored/allReduce/gradientLayout';
import { reduceOnHub } from '../../../../../src/engine/mirrored/allReduce/hub';
import { shardByTokens } from '../../../../../src/engine/mirrored/shards';

describe('sparse embedding rows', () => {
  test('only non-zero rows are extracted, ascending', () => {
    const width = 2;
    const gradient = Float32Array.from([0, 0, 1, 0, 0, 0, 0, -2, 0, 0]);
    const { indices, rows } = extractSparseRows(gradient, width);
    expect(Array.from(indices)).toEqual([1, 3]);
    expect(Array.from(rows)).toEqual([1, 0, 0, -2]);
  });

  test('sums of rows from several replicas cover the union of rows', () => {
    const a = { indices: Int32Array.from([0, 4]), rows: Float32Array.from([1, 1, 2, 2]) };
    const b = { indices: Int32Array.from([4, 5]), rows: Float32Array.from([10, 10, 3, 3]) };
    const sum = sumSparseRows([a, b], 2);
    expect(Array.from(sum.indices)).toEqual([0, 4, 5]);
    expect(Array.from(sum.rows)).toEqual([1, 1, 12, 12, 3, 3]);
  });

  test('layout, hub reduction and means give the dense full-batch mean', () => {
    const layout = gradientLayout([
      { name: 'embedding', shape: [4, 2], sparseRows: true },
      { name: 'kernel', shape: [3] },
    ]);
    expect(layout.denseLength).toBe(3);
    const replicaGradients = [
      [Float32Array.from([0, 0, 2, 4, 0, 0, 0, 0]), Float32Array.from([1, 2, 3])],
      [Float32Array.from([0, 0, 2, 0, 0, 0, 6, 6]), Float32Array.from([3, 2, 1])],
    ];
    const contributions = replicaGradients.map((g) => ({
      dense: flattenDense(layout, g),
      sparse: layout.sparse.map(({ variable, width }) => extractSparseRows(g[variable], width)),
    }));
    const reduced = reduceOnHub(contributions, [2]);
    const means = meanGradients(layout, reduced.dense, reduced.sparse, 4);
    expect(Array.from(means[0])).toEqual([0, 0, 1, 1, 0, 0, 1.5, 1.5]);
    expect(Array.from(means[1])).toEqual([1, 1, 1]);
  });
});

describe('token-balanced shards', () => {
  test('contiguous ranges cover the batch with near-equal tokens', () => {
    const tokens = [5, 1, 1, 1, 1, 1, 5, 2, 3];
    const shards = shardByTokens(tokens, 3);
    expect(shards[0].start).toBe(0);
    expect(shards.at(-1)!.end).toBe(tokens.length);
    shards.slice(1).forEach((s, k) => expect(s.start).toBe(shards[k].end));
    expect(shards.reduce((s, r) => s + r.tokenCount, 0)).toBe(20);
    for (const s of shards) expect(Math.abs(s.tokenCount - 20 / 3)).toBeLessThanOrEqual(3);
  });

  test('more replicas than examples leaves some shards empty, none negative', () => {
    const shards = shardByTokens([4, 4], 3);
    expect(shards.map((s) => s.end - s.start).reduce((a, b) => a + b, 0)).toBe(2);
    for (const s of shards) expect(s.end).toBeGreaterThanOrEqual(s.start);
  });
});
