/**
 * Mirrored training gives the same losses and weights as one replica on the same global batches (dropout
 * off, fixed seed), for N = 2 and 3 and both all-reduce algorithms; replicas stay bit-identical.
 * Replicas are Node worker threads on the wasm backend, training the toy model.
 */
import { describe, expect, test } from 'vitest';
import { makeTrainer, maxAbsDifference, referenceRun, stepLosses } from './fixtures';
import type { AllReduceAlgorithm } from '../../../../src/engine/training/trainer';

const steps = 6; // 2 epochs of 3 steps

describe('mirrored training equivalence', () => {
  const cases: [number, AllReduceAlgorithm][] = [
    [2, 'ring'],
    [3, 'ring'],
    [2, 'postMessage'],
    [3, 'postMessage'],
  ];
  test.each(cases)('N=%i with %s all-reduce matches one replica', async (replicas, allReduce) => {
    const reference = await referenceRun(steps);
    const { trainer, events, store, spawner } = makeTrainer({ replicas, allReduce });
    await trainer.start();
    expect(trainer.state).toBe('finished');

    const setup = events.find((e) => e.type === 'mirroredSetup');
    expect(setup).toMatchObject({ replicas, allReduce, backend: 'wasm' });

    // Numbered like the in-process trainer: epochs from 1, checkpoints (one a step here) count finished epochs.
    expect(events.filter((e) => e.type === 'epochCompleted').map((e) => e.epoch)).toEqual([1, 2]);
    expect(events.filter((e) => e.type === 'checkpointSaved').map((e) => e.epoch)).toEqual([0, 0, 1, 1, 1, 2]);
    expect([...new Set(events.filter((e) => e.type === 'stepCompleted').map((e) => e.epoch))]).toEqual([1, 2]);

    const losses = stepLosses(events);
    expect(losses.size).toBe(steps);
    reference.losses.forEach((loss, step) => expect(losses.get(step)).toBeCloseTo(loss, 5));
    expect(maxAbsDifference(store.saved.at(-1)!.state, reference.states[steps - 1])).toBeLessThan(1e-5);
    // The loss really moved, so agreement is not agreement on nothing.
    expect(reference.losses[steps - 1]).toBeLessThan(reference.losses[0]);

    const checks = events.filter((e) => e.type === 'replicaChecksums');
    expect(checks.length).toBeGreaterThanOrEqual(3);
    for (const check of checks) {
      expect(check.identical).toBe(true);
      expect(check.checksums).toHaveLength(replicas);
    }

    const timelines = events.filter((e) => e.type === 'workerTimeline');
    expect(timelines).toHaveLength(steps * replicas);
    for (const t of timelines) {
      for (const ms of Object.values(t.phasesMs)) expect(ms).toBeGreaterThanOrEqual(0);
      expect(t.bytesSent).toBeGreaterThan(0);
      // The toy batches use a few of 40 words per shard, so sending rows beats sending the table.
      expect(t.bytesSavedBySparse).toBeGreaterThan(0);
    }
    expect(spawner.exited).toEqual(new Array(replicas).fill(true));
  });

  test('ring: each replica sends 2(N-1)/N of the dense gradient', async () => {
    const { trainer, events } = makeTrainer({ replicas: 2, allReduce: 'ring' }, { maxSteps: 1 });
    await trainer.start();
    const denseFloats = 12 * 16 + 16 + 16 * 40 + 40; // hidden and output layers of the toy model
    const denseBytes = (2 * (2 - 1) * denseFloats * 4) / 2;
    for (const t of events.filter((e) => e.type === 'workerTimeline')) {
      expect(t.bytesSent).toBeGreaterThanOrEqual(denseBytes);
      // The rest is the sparse embedding rows: far below the dense 40x12 table share.
      expect(t.bytesSent! - denseBytes).toBeLessThan(40 * 12 * 4);
    }
  });
});
