// Worker thread for allreduce-ring.test.ts: runs RingAllReduce rounds on data sent by the test.
import { parentPort } from 'node:worker_threads';
import { gradientLayout, type SparseRows } from '../../../../../src/engine/mirrored/allReduce/gradientLayout';
import { AllReduceAbortedError, RingAllReduce } from '../../../../../src/engine/mirrored/allReduce/ring';
import type { VariableInfo } from '../../../../../src/model/replicaModel';

interface Job {
  shared: SharedArrayBuffer;
  variables: VariableInfo[];
  rank: number;
  worldSize: number;
  rounds: { dense: Float32Array; sparse: SparseRows[] }[];
}

parentPort!.once('message', (job: Job) => {
  const ring = new RingAllReduce(job.shared, gradientLayout(job.variables), job.rank, job.worldSize);
  const results = [];
  try {
    for (const round of job.rounds) {
      const { sparseSums, bytesSent } = ring.reduce(round.dense, round.sparse);
      results.push({ dense: round.dense, sparse: sparseSums, bytesSent });
    }
    parentPort!.postMessage({ results });
  } catch (error) {
    parentPort!.postMessage({ aborted: error instanceof AllReduceAbortedError, message: String(error) });
  }
});
