/**
 * Test page for tests/e2e/mirrored.test.ts: trains the toy model with 1 replica and with N replicas in real
 * module Web Workers (backend and all-reduce from the query string) and publishes the losses, checksums and
 * set-up events on `window.mirroredResult`.
 */
import { MirroredTrainer } from '../../../src/engine/mirrored/trainer';
import { webWorkerEndpoint } from '../../../src/engine/threads/endpoint';
import { makeToyBatch, sliceToyBatch, toyExampleTokens, type ToyBatch } from '../../support/toyReplicaModel';
import { defaultTrainConfig, type AllReduceAlgorithm, type BackendName, type TrainerEvent } from '../../../src/engine/training/trainer';

const params = new URLSearchParams(location.search);
const backend = (params.get('backend') ?? 'wasm') as BackendName;
const allReduce = (params.get('allReduce') ?? 'ring') as AllReduceAlgorithm;
const replicas = Number(params.get('replicas') ?? '2');
const steps = Number(params.get('steps') ?? '3');
const toy = { vocabSize: 24, embeddingDim: 8, hiddenDim: 8, seed: 3, learningRate: 0.02 };

async function train(replicaCount: number): Promise<{ events: TrainerEvent[]; state: string }> {
  const trainer = new MirroredTrainer<ToyBatch>({
    config: { ...defaultTrainConfig, replicas: replicaCount, allReduce, epochs: 1, dropout: 0, checksumEvery: 1 },
    model: { kind: 'toy', options: toy },
    data: {
      stepsPerEpoch: steps,
      batch: (_epoch, step) => makeToyBatch(40 + step, 9, toy.vocabSize),
      exampleTokens: toyExampleTokens,
      slice: sliceToyBatch,
    },
    backend,
    // The test replica worker: the stock host with the toy model, which ships only with the tests.
    spawn: () => webWorkerEndpoint(new Worker(new URL('./replica.worker.ts', import.meta.url), { type: 'module', name: 'replica' })),
  });
  const events: TrainerEvent[] = [];
  trainer.on((e) => events.push(e));
  await trainer.start();
  return { events, state: trainer.state };
}

const result: Record<string, unknown> = { crossOriginIsolated: globalThis.crossOriginIsolated };
try {
  const single = await train(1);
  const mirrored = await train(replicas);
  const losses = (run: { events: TrainerEvent[] }) => run.events.flatMap((e) => (e.type === 'stepCompleted' ? [e.loss] : []));
  Object.assign(result, {
    singleState: single.state,
    mirroredState: mirrored.state,
    singleLosses: losses(single),
    mirroredLosses: losses(mirrored),
    checksums: mirrored.events.filter((e) => e.type === 'replicaChecksums'),
    setup: mirrored.events.find((e) => e.type === 'mirroredSetup'),
    backendChosen: mirrored.events.find((e) => e.type === 'backendChosen'),
    failures: [...single.events, ...mirrored.events].filter((e) => e.type === 'runFailed'),
  });
} catch (error) {
  result.error = String((error as Error).stack ?? error);
}
(window as unknown as { mirroredResult: unknown }).mirroredResult = result;
document.getElementById('status')!.textContent = JSON.stringify(result, null, 1);
