/** Time per epoch and time left, from what a run reported (no clock read: the numbers are the events'). */
import { describe, expect, it } from 'vitest';
import { runTiming } from '../../../src/store/slices/training/runTiming';
import type { TrainerEvent } from '../../../src/protocol/training';
import { testStore } from '../../support/studioStore';

const step = (i: number, epoch: number, durationMs: number): TrainerEvent => ({
  type: 'stepCompleted',
  epoch,
  step: i,
  loss: 3,
  tokens: 10,
  durationMs,
  tokensPerSecond: 100,
});

describe('runTiming', () => {
  it('says nothing before the first step, and nothing of the total without steps per epoch', () => {
    const store = testStore().store;
    expect(runTiming(store.getState().training)).toMatchObject({ stepsDone: 0, msPerEpoch: null, etaMs: null, totalSteps: null });
  });

  it('estimates an epoch from the steps before the first one ends, then uses finished epochs (validation included)', () => {
    const store = testStore().store;
    store.getState().setTrainConfig({ epochs: 3 });
    store.getState().setRunContext({ dataset: 'demo', stepsPerEpoch: 4 });
    store.getState().applyTrainerEvents([{ type: 'stateChanged', state: 'running' }, step(1, 1, 100), step(2, 1, 300)]);
    // 2 steps in 400 ms: 200 ms a step, 4 steps an epoch, 10 steps left.
    expect(runTiming(store.getState().training)).toEqual({
      totalSteps: 12,
      stepsDone: 2,
      msPerEpoch: 800,
      lastEpochMs: null,
      estimated: true,
      etaMs: 2000,
    });
    store.getState().applyTrainerEvents([
      step(3, 1, 200),
      step(4, 1, 200),
      { type: 'epochCompleted', epoch: 1, trainLoss: 3, valLoss: 3, bleu: null, durationMs: 1000 },
      step(5, 2, 200),
    ]);
    // One epoch took 1000 ms; a quarter of the second is done: 1.75 epochs left.
    expect(runTiming(store.getState().training)).toEqual({
      totalSteps: 12,
      stepsDone: 5,
      msPerEpoch: 1000,
      lastEpochMs: 1000,
      estimated: false,
      etaMs: 1750,
    });
    store.getState().applyTrainerEvents([
      step(6, 2, 200),
      step(7, 2, 200),
      step(8, 2, 200),
      { type: 'epochCompleted', epoch: 2, trainLoss: 3, valLoss: 3, bleu: null, durationMs: 1400 },
    ]);
    expect(runTiming(store.getState().training)).toMatchObject({ msPerEpoch: 1200, lastEpochMs: 1400, etaMs: 1200 });
  });

  it('a new run starts its step time again', () => {
    const store = testStore().store;
    store.getState().applyTrainerEvents([step(1, 1, 500)]);
    expect(store.getState().training.stepTimeMs).toBe(500);
    store.getState().resetTrainingRun();
    expect(store.getState().training.stepTimeMs).toBe(0);
    expect(store.getState().training.stepsPerEpoch).toBeNull();
  });
});
