/**
 * Ring all-reduce over SharedArrayBuffer with real worker threads: every replica ends with the same bits,
 * equal to the sum; awkward sizes (chunks of unequal or zero length) work; several rounds in a row reuse the
 * buffer; a missing peer plus an abort makes the others give up instead of blocking forever.
 */
import { describe, expect, test } from 'vitest';
import { nodeWorkerEndpoint } from '../../../../../src/engine/threads/nodeEndpoint';
import { createRingBuffer, abortRing } from '../../../../../src/engine/mirrored/allReduce/ring';
import { gradientLayout, type SparseRows } from '../../../../../src/engine/mirrored/allReduce/gradientLayout';
import type { VariableInfo } from '../../../../../src/model/replicaModel';
import { mulberry32 } from '../../../../support/toyReplicaModel';

const workerUrl = new URL('./ringWorker.ts', import.meta.url);

interface Outcome {
  results?: { dense: Float32Array; sparse: SparseRows[]; bytesSent: number }[];
  aborted?: boolean;
}

function runRank(job: object): { done: Promise<Outcome>; terminate(): Promise<void> } {
  const endpoint = nodeWorkerEndpoint(workerUrl);
  const done = new Promise<Outcome>((resolve, reject) =>
    endpoint.listen((event) => {
      if (event.kind === 'message') resolve(event.data as Outcome);
      if (event.kind === 'error') reject(event.error);
    }),
  );
  endpoint.postMessage(job);
  return { done, terminate: () => endpoint.terminate() };
}

function randomRound(random: () => number, denseLength: number, rows: number, width: number, rank: number) {
  const dense = Float32Array.from({ length: denseLength }, () => random() * 2 - 1);
  // Each rank touches a different, overlapping set of rows.
  const indices = Int32Array.from([rank, rank + 1, 5].filter((r, i, all) => r < rows && all.indexOf(r) === i).sort((a, b) => a - b));
  const values = Float32Array.from({ length: indices.length * width }, () => random());
  return { dense, sparse: [{ indices, rows: values }] };
}

describe('ring all-reduce', () => {
  test.each([
    [2, 10],
    [3, 10],
    [4, 2],
  ])('N=%i, %i dense floats: identical bits on every replica, equal to the sum', async (worldSize, denseLength) => {
    const rows = 7;
    const width = 3;
    const variables: VariableInfo[] = [
      { name: 'embedding', shape: [rows, width], sparseRows: true },
      { name: 'kernel', shape: [denseLength] },
    ];
    const shared = createRingBuffer(gradientLayout(variables), worldSize);
    const random = mulberry32(3);
    const roundsByRank = Array.from({ length: worldSize }, (_, rank) =>
      Array.from({ length: 3 }, () => randomRound(random, denseLength, rows, width, rank)),
    );
    const expected = roundsByRank[0].map((_, round) => {
      const dense = new Float64Array(denseLength);
      const table = new Float64Array(rows * width);
      for (const rounds of roundsByRank) {
        rounds[round].dense.forEach((v, i) => (dense[i] += v));
        const { indices, rows: values } = rounds[round].sparse[0];
        indices.forEach((row, k) => {
          for (let i = 0; i < width; i++) table[row * width + i] += values[k * width + i];
        });
      }
      return { dense, table };
    });
    const ranks = roundsByRank.map((rounds, rank) => runRank({ shared, variables, rank, worldSize, rounds }));
    const outcomes = await Promise.all(ranks.map((r) => r.done));
    await Promise.all(ranks.map((r) => r.terminate()));
    for (let round = 0; round < 3; round++) {
      const first = outcomes[0].results![round];
      for (const outcome of outcomes) {
        const result = outcome.results![round];
        expect(Array.from(result.dense)).toEqual(Array.from(first.dense));
        expect(Array.from(result.sparse[0].indices)).toEqual(Array.from(first.sparse[0].indices));
        expect(Array.from(result.sparse[0].rows)).toEqual(Array.from(first.sparse[0].rows));
        expect(result.bytesSent).toBeGreaterThan(0);
      }
      first.dense.forEach((v, i) => expect(v).toBeCloseTo(expected[round].dense[i], 5));
      const { indices, rows: values } = first.sparse[0];
      indices.forEach((row, k) => {
        for (let i = 0; i < width; i++) expect(values[k * width + i]).toBeCloseTo(expected[round].table[row * width + i], 5);
      });
      const touched = new Set(roundsByRank.flatMap((r) => Array.from(r[round].sparse[0].indices)));
      expect(indices.length).toBe(touched.size);
    }
  });

  test('survivors give up when a peer never arrives and the trainer aborts', async () => {
    const variables: VariableInfo[] = [{ name: 'kernel', shape: [12] }];
    const shared = createRingBuffer(gradientLayout(variables), 3);
    const rounds = [{ dense: new Float32Array(12).fill(1), sparse: [] }];
    const ranks = [0, 1].map((rank) => runRank({ shared, variables, rank, worldSize: 3, rounds }));
    setTimeout(() => abortRing(shared), 200);
    const outcomes = await Promise.all(ranks.map((r) => r.done));
    await Promise.all(ranks.map((r) => r.terminate()));
    expect(outcomes.map((o) => o.aborted)).toEqual([true, true]);
  });
});
