/** Shared set-up of the mirrored-training tests: a toy model, seeded batches, a memory checkpoint store. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { MirroredTrainer } from '../../../../src/engine/mirrored/trainer';
import type { MirroredCheckpoint, MirroredDataSource, MirroredTrainerOptions } from '../../../../src/engine/mirrored/types';
import { replicaStateFormat } from '../../../../src/engine/mirrored/checkpoints';
import { toBytes, type CheckpointFiles, type CheckpointStore } from '../../../../src/engine/training/checkpoint';
import { nodeWorkerEndpoint } from '../../../../src/engine/threads/nodeEndpoint';
import { testReplicaWorkerUrl } from '../../../paths';
import type { WorkerEndpoint } from '../../../../src/engine/threads/endpoint';
import type { StepOutcome } from '../../../../src/model/replicaModel';
import type { ToyBatch, ToyModelOptions } from '../../../support/toyReplicaModel';
import { ToyReplicaModel, makeToyBatch, sliceToyBatch, toyExampleTokens } from '../../../support/toyReplicaModel';
import { defaultTrainConfig, type TrainConfig, type TrainerEvent } from '../../../../src/engine/training/trainer';

export const toyOptions: ToyModelOptions = { vocabSize: 40, embeddingDim: 12, hiddenDim: 16, seed: 7, learningRate: 0.01 };
export const stepsPerEpoch = 3;

export const toyData: MirroredDataSource<ToyBatch> = {
  stepsPerEpoch,
  batch: (epoch, step) => makeToyBatch(1000 + epoch * 100 + step, 17, toyOptions.vocabSize),
  exampleTokens: toyExampleTokens,
  slice: sliceToyBatch,
};

/** A CheckpointStore that keeps every checkpoint saved (in the trainer's default format), decoded for tests. */
export class RecordingCheckpointStore implements CheckpointStore {
  readonly location = 'memory';
  saved: MirroredCheckpoint[] = [];
  async save(files: CheckpointFiles): Promise<void> {
    this.saved.push(await replicaStateFormat.decode(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, toBytes(v).slice()]))));
  }
  async load(): Promise<Record<string, Uint8Array> | null> {
    const last = this.saved.at(-1);
    return last ? Object.fromEntries(Object.entries(replicaStateFormat.encode(last)).map(([k, v]) => [k, toBytes(v)])) : null;
  }
}

/** Spawns Node worker threads and remembers them, so tests can assert none is left running. */
export class TrackingSpawner {
  exited: boolean[] = [];
  spawn = (): WorkerEndpoint => {
    const endpoint = nodeWorkerEndpoint(testReplicaWorkerUrl);
    const index = this.exited.push(false) - 1;
    endpoint.listen((event) => {
      if (event.kind === 'exit') this.exited[index] = true;
    });
    return endpoint;
  };
}

export function makeTrainer(
  config: Partial<TrainConfig>,
  extra: Partial<MirroredTrainerOptions<ToyBatch>> = {},
): { trainer: MirroredTrainer<ToyBatch>; events: TrainerEvent[]; store: RecordingCheckpointStore; spawner: TrackingSpawner } {
  const store = new RecordingCheckpointStore();
  const spawner = new TrackingSpawner();
  const trainer = new MirroredTrainer<ToyBatch>({
    config: { ...defaultTrainConfig, epochs: 2, dropout: 0, checksumEvery: 2, ...config },
    model: { kind: 'toy', options: toyOptions },
    data: toyData,
    backend: 'wasm',
    spawn: spawner.spawn,
    checkpoints: store,
    checkpointEverySteps: 1,
    ...extra,
  });
  const events: TrainerEvent[] = [];
  trainer.on((event) => events.push(event));
  return { trainer, events, store, spawner };
}

/**
 * One replica on this thread over the same global batches: the losses and final weights to match, and
 * (with mixed-precision options) each step's loss-scale outcome.
 */
export async function referenceRun(
  steps: number,
  options: ToyModelOptions = toyOptions,
): Promise<{ losses: number[]; states: Float32Array[][]; outcomes: (StepOutcome | undefined)[] }> {
  await tf.setBackend('wasm');
  const model = new ToyReplicaModel(options);
  const losses: number[] = [];
  const states: Float32Array[][] = [];
  const outcomes: (StepOutcome | undefined)[] = [];
  for (let step = 0; step < steps; step++) {
    const batch = toyData.batch(Math.floor(step / stepsPerEpoch), step % stepsPerEpoch) as ToyBatch;
    const sums = await model.computeGradients(batch, toyExampleTokens(batch).reduce((a, b) => a + b, 0));
    losses.push(sums.lossSum / sums.tokenCount);
    outcomes.push((await model.applyGradients(sums.gradients.map((g) => g.map((v) => v / sums.tokenCount)))) ?? undefined);
    states.push(await model.getState());
  }
  return { losses, states, outcomes };
}

/** Loss of every completed step, keyed by the step's 0-based index (as the reference run's arrays). */
export function stepLosses(events: TrainerEvent[]): Map<number, number> {
  const losses = new Map<number, number>();
  for (const e of events) if (e.type === 'stepCompleted') losses.set(e.step - 1, e.loss);
  return losses;
}

export function maxAbsDifference(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  a.forEach((array, k) => array.forEach((v, i) => (max = Math.max(max, Math.abs(v - b[k][i])))));
  return max;
}
