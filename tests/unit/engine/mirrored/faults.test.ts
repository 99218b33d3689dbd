/**
 * Faults and integrity checks of mirrored training: corrupted replicas are detected; a replica that
 * crashes, throws or exits mid-step pauses the run with a message naming it; the run resumes from the same
 * step with the remaining replicas or with a restarted one, and still matches one replica's training.
 */
import { describe, expect, test } from 'vitest';
import { makeTrainer, maxAbsDifference, referenceRun, stepLosses, toyOptions } from './fixtures';
import type { TrainerEvent } from '../../../../src/engine/training/trainer';
import type { FaultInjection } from '../../../../src/protocol/replica';

function whenPaused(events: TrainerEvent[], on: (listener: (e: TrainerEvent) => void) => void): Promise<string> {
  return new Promise((resolve) => {
    on((event) => {
      if (event.type === 'stateChanged' && event.state === 'paused') resolve(event.reason ?? '');
    });
  });
}

describe('mirrored training integrity and faults', () => {
  test('a corrupted replica is detected by the checksums and warned about', async () => {
    const diverging = { ...toyOptions, diverge: { rank: 2, afterStep: 1, delta: 1e-4 } };
    const { trainer, events } = makeTrainer({ replicas: 3, allReduce: 'ring', checksumEvery: 2 }, { model: { kind: 'toy', options: diverging } });
    await trainer.start();
    const checks = events.filter((e) => e.type === 'replicaChecksums');
    expect(checks[0]).toMatchObject({ step: 2, identical: false });
    expect(checks[0].checksums[0]).toBe(checks[0].checksums[1]);
    expect(checks[0].checksums[2]).not.toBe(checks[0].checksums[0]);
    const warning = events.find((e) => e.type === 'warning');
    expect(warning).toMatchObject({ replica: 2 });
    expect(warning?.type === 'warning' && warning.message).toMatch(/no longer identical.*replica 2/);
  });

  const cases: [string, 'ring' | 'postMessage', FaultInjection['kind'], 'remaining' | 'restart', RegExp][] = [
    ['crash, ring, resume with the remaining', 'ring', 'crash', 'remaining', /Replica 1 crashed: injected crash/],
    ['throw, postMessage, restart the lost one', 'postMessage', 'throw', 'restart', /Replica 1 threw an error: injected fault/],
    ['exit, ring, restart the lost one', 'ring', 'exit', 'restart', /Replica 1 exited unexpectedly/],
  ];
  test.each(cases)('%s', async (_name, allReduce, kind, mode, message) => {
    const faultStep = 3;
    const reference = await referenceRun(6);
    const { trainer, events, store, spawner } = makeTrainer(
      { replicas: 3, allReduce },
      { faults: [{ replica: 1, fault: { step: faultStep, kind } }] },
    );
    const paused = whenPaused(events, (l) => trainer.on(l));
    const run = trainer.start();
    const reason = await paused;
    expect(reason).toMatch(message);
    expect(reason).toMatch(/step 3/);
    expect(trainer.state).toBe('paused');
    const fault = events.find((e) => e.type === 'replicaFault');
    expect(fault).toMatchObject({ replica: 1, step: faultStep });
    // The last checkpoint is the one before the failed step, intact.
    const last = store.saved.at(-1)!;
    expect(last.step).toBe(faultStep);
    expect(maxAbsDifference(last.state, reference.states[faultStep - 1])).toBeLessThan(1e-5);

    const stepsBefore = events.filter((e) => e.type === 'stepCompleted').length;
    expect(stepsBefore).toBe(faultStep);
    if (mode === 'remaining') trainer.resume();
    else trainer.recoverWith('restart');
    await run;
    expect(trainer.state).toBe('finished');

    const setups = events.filter((e) => e.type === 'mirroredSetup');
    expect(setups.at(-1)).toMatchObject(mode === 'remaining' ? { replicas: 2, replicaIds: [0, 2] } : { replicas: 3, replicaIds: [0, 2, 3] });
    // Resumed from the failed step itself, and training matches one replica's all the way.
    const completed = events.filter((e) => e.type === 'stepCompleted').map((e) => (e.type === 'stepCompleted' ? e.step : -1));
    expect(completed).toEqual([1, 2, 3, 4, 5, 6]);
    const losses = stepLosses(events);
    reference.losses.forEach((loss, step) => expect(losses.get(step)).toBeCloseTo(loss, 5));
    for (const check of events.filter((e) => e.type === 'replicaChecksums')) expect(check.identical).toBe(true);
    expect(spawner.exited.every(Boolean)).toBe(true);
  });

  // A replica lost after the all-reduce of a step: its peers applied that step, so the run goes on after it,
  // and the step is still reported (its loss unknown), or the charts would lose it (seen in the browser test
  // of a lost replica device: 11 of 12 steps drawn).
  test('a replica lost after applying a step: the step counts once, reported with an unknown loss', async () => {
    const faultStep = 2;
    const reference = await referenceRun(6);
    const { trainer, events } = makeTrainer({ replicas: 2, allReduce: 'ring' }, { faults: [{ replica: 1, fault: { step: faultStep, kind: 'deviceLost', at: 'afterApply' } }] });
    const paused = whenPaused(events, (l) => trainer.on(l));
    const run = trainer.start();
    expect(await paused).toMatch(/Replica 1 lost its GPU device/);
    trainer.recoverWith('restart');
    await run;
    expect(trainer.state).toBe('finished');
    const completed = events.filter((e) => e.type === 'stepCompleted');
    expect(completed.map((e) => (e.type === 'stepCompleted' ? e.step : -1))).toEqual([1, 2, 3, 4, 5, 6]);
    const faulted = completed[faultStep];
    expect(faulted.type === 'stepCompleted' && Number.isNaN(faulted.loss)).toBe(true);
    // The other steps' losses are those of one replica's training: the faulted step was applied once.
    const losses = stepLosses(events);
    reference.losses.forEach((loss, step) => {
      if (step !== faultStep) expect(losses.get(step)).toBeCloseTo(loss, 5);
    });
  });

  // A replica whose device is lost after the run's last step, when the run asks every replica for its checksum
  // (seen in the browser test of a lost replica device under load): nothing is left to train, so the run
  // finishes with a warning naming the replica instead of failing (6 steps, checksums every 4: the check is due).
  test('a replica lost after the last step: the run finishes, with a warning naming it', async () => {
    const reference = await referenceRun(6);
    const { trainer, events } = makeTrainer(
      { replicas: 2, allReduce: 'ring', checksumEvery: 4 },
      { faults: [{ replica: 1, fault: { step: 5, kind: 'deviceLost', at: 'checksum' } }] },
    );
    await trainer.start();
    expect(trainer.state).toBe('finished');
    expect(events.some((e) => e.type === 'stateChanged' && e.state === 'paused')).toBe(false);
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e] : []));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].replica).toBe(1);
    expect(warnings[0].message).toMatch(/^Replica 1 lost its GPU device: injected: GPU device lost \(after the last step, 6\): every step had been applied on every replica, so the run's result stands\.$/);
    // Every step counted once, with the losses of one replica's training.
    const losses = stepLosses(events);
    reference.losses.forEach((loss, step) => expect(losses.get(step)).toBeCloseTo(loss, 5));
    await trainer.dispose();
  });

  // Replica 0 lost while the trainer fetches the last step's state for its checkpoint (the same late fault as
  // above, on the replica whose state the trainer used to read alone): every replica holds the same state after
  // the step, so the checkpoint and the run's final weights come from replica 1, and the run finishes with a
  // warning naming replica 0 (2 epochs of 3 steps, a checkpoint every step: the fetch after step 6).
  test('replica 0 lost as the last step\'s state is fetched: the run finishes with the state from replica 1', async () => {
    const reference = await referenceRun(6);
    const { trainer, events, store } = makeTrainer(
      { replicas: 2, allReduce: 'ring' },
      { faults: [{ replica: 0, fault: { step: 5, kind: 'deviceLost', at: 'state' } }] },
    );
    await trainer.start();
    expect(trainer.state).toBe('finished');
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e] : []));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].replica).toBe(0);
    expect(warnings[0].message).toMatch(/^Replica 0 lost its GPU device: injected: GPU device lost \(after the last step, 6\): every step had been applied on every replica, so the run's result stands\.$/);
    const last = store.saved.at(-1)!;
    expect(last.step).toBe(6);
    expect(maxAbsDifference(last.state, reference.states[5])).toBeLessThan(1e-5);
    expect(maxAbsDifference((await trainer.finalState())!, reference.states[5])).toBeLessThan(1e-5);
    await trainer.dispose();
  });

  // The same loss at the run's very last fetch, of the weights it ends with (no checkpoint store and no
  // evaluator, so nothing reads the state before it): the weights come from replica 1 and the run still says
  // that replica 0 was lost, rather than finishing as if nothing had happened.
  test('replica 0 lost as the run\'s final weights are fetched: they come from replica 1, with the warning', async () => {
    const reference = await referenceRun(6);
    const { trainer, events, store } = makeTrainer(
      { replicas: 2, allReduce: 'ring' },
      { checkpoints: undefined, faults: [{ replica: 0, fault: { step: 5, kind: 'deviceLost', at: 'state' } }] },
    );
    await trainer.start();
    expect(trainer.state).toBe('finished');
    expect(store.saved).toHaveLength(0);
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e] : []));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].replica).toBe(0);
    expect(warnings[0].message).toMatch(/^Replica 0 lost its GPU device: injected: GPU device lost \(after the last step, 6\)/);
    expect(maxAbsDifference((await trainer.finalState())!, reference.states[5])).toBeLessThan(1e-5);
    await trainer.dispose();
  });

  // Issue 15.1: a replica that stops answering mid-step (its thread alive, blocked for good in the step).
  // The bound is the trainer's rule (10 × the median step time) with its floor lowered from 30 s to 3 s for
  // the test; the hang itself is real and never ends, so only the bound decides how long the test waits.
  const hangCases: [string, 'ring' | 'postMessage', 'remaining' | 'restart'][] = [
    ['hung, ring, resume with the remaining', 'ring', 'remaining'],
    ['hung, postMessage, restart the lost one', 'postMessage', 'restart'],
  ];
  test.each(hangCases)('%s', { timeout: 120_000 }, async (_name, allReduce, mode) => {
    const faultStep = 3;
    const reference = await referenceRun(6);
    const { trainer, events, store, spawner } = makeTrainer(
      { replicas: 3, allReduce },
      { faults: [{ replica: 1, fault: { step: faultStep, kind: 'hang' } }], hangBound: { factor: 10, minMs: 3000, firstStepMs: 60_000 } },
    );
    const paused = whenPaused(events, (l) => trainer.on(l));
    const run = trainer.start();
    const reason = await paused;
    expect(reason).toMatch(/^Replica 1 stopped answering: no result for step 3 after \d+\.\d s \(the bound is 10 × the median step time of \d+ ms, at least 3\.0 s\); the worker is alive but silent \(step 3\)\. Resume with the remaining replicas or restart the lost one\.$/);
    expect(trainer.state).toBe('paused');
    expect(events.find((e) => e.type === 'replicaFault')).toMatchObject({ replica: 1, step: faultStep, cause: 'hung' });
    // Nothing of the hung step was applied; the last checkpoint is the step before, intact.
    const last = store.saved.at(-1)!;
    expect(last.step).toBe(faultStep);
    expect(maxAbsDifference(last.state, reference.states[faultStep - 1])).toBeLessThan(1e-5);
    expect(events.filter((e) => e.type === 'stepCompleted')).toHaveLength(faultStep);

    if (mode === 'remaining') trainer.resume();
    else trainer.recoverWith('restart');
    await run;
    expect(trainer.state).toBe('finished');
    expect(events.filter((e) => e.type === 'mirroredSetup').at(-1)).toMatchObject(
      mode === 'remaining' ? { replicas: 2, replicaIds: [0, 2] } : { replicas: 3, replicaIds: [0, 2, 3] },
    );
    const completed = events.filter((e) => e.type === 'stepCompleted').map((e) => (e.type === 'stepCompleted' ? e.step : -1));
    expect(completed).toEqual([1, 2, 3, 4, 5, 6]);
    const losses = stepLosses(events);
    reference.losses.forEach((loss, step) => expect(losses.get(step)).toBeCloseTo(loss, 5));
    // The hung worker was ended too (terminated while blocked), not left running.
    expect(spawner.exited.every(Boolean)).toBe(true);
  });

  test('stop while paused after a fault ends every worker and keeps the checkpoint', async () => {
    const { trainer, events, store, spawner } = makeTrainer(
      { replicas: 2, allReduce: 'ring' },
      { faults: [{ replica: 0, fault: { step: 1, kind: 'deviceLost' } }] },
    );
    const paused = whenPaused(events, (l) => trainer.on(l));
    const run = trainer.start();
    expect(await paused).toMatch(/Replica 0 lost its GPU device/);
    await trainer.stop();
    await run;
    expect(trainer.state).toBe('stopped');
    expect(store.saved.at(-1)!.step).toBe(1);
    expect(spawner.exited).toEqual([true, true]);
  });

  test('a new run resumes from the last checkpoint and continues exactly', async () => {
    const reference = await referenceRun(6);
    const first = makeTrainer({ replicas: 2, allReduce: 'ring' }, { maxSteps: 2 });
    await first.trainer.start();
    expect(first.store.saved.at(-1)!.step).toBe(2);
    const second = makeTrainer({ replicas: 3, allReduce: 'postMessage' });
    second.store.saved = first.store.saved;
    await second.trainer.start({ resume: true });
    expect(second.trainer.state).toBe('finished');
    const losses = stepLosses(second.events);
    expect([...losses.keys()]).toEqual([2, 3, 4, 5]);
    for (const [step, loss] of losses) expect(loss).toBeCloseTo(reference.losses[step], 5);
  });

  test('an abort signal terminates every worker mid-run', async () => {
    const { trainer, spawner } = makeTrainer({ replicas: 2, allReduce: 'postMessage', epochs: 50 });
    const controller = new AbortController();
    trainer.on((event) => {
      if (event.type === 'stepCompleted' && event.step === 3) controller.abort();
    });
    await trainer.start({ signal: controller.signal });
    expect(trainer.state).toBe('stopped');
    expect(spawner.exited).toEqual([true, true]);
  });
});
