/**
 * Where a step's time goes (src/store/slices/training/stepBreakdown.ts), from synthetic replica timelines whose answer
 * is known: compute, all-reduce (the exchange itself), idle (waiting for the slowest replica and for messages),
 * and the run table's row of a finished run with and without replicas.
 */
import { describe, expect, it } from 'vitest';
import { computeOnlyBreakdown, stepBreakdown, stepPhases, type PhaseSegment } from '../../../src/store/slices/training/stepBreakdown';
import { initialTrainingData, reduceTrainerEvents } from '../../../src/store/slices/training/index';
import type { ReplicaPhasesMs, TrainerEvent } from '../../../src/protocol/training';

const phases = (p: Partial<ReplicaPhasesMs>): ReplicaPhasesMs => ({ compute: 0, readback: 0, allReduceWait: 0, apply: 0, idle: 0, ...p });

describe('stepPhases: one step of a mirrored run', () => {
  it('counts the wait for a slower peer as idle, not as all-reduce, and the three add up to the step', () => {
    // Step wall time 100 ms. Replica 0 has its gradients after 40 + 5 ms, replica 1 after 70 + 5 ms; the
    // exchange itself takes 10 ms once both are ready, so replica 0's all-reduce clock ran 30 + 10 ms.
    const step: PhaseSegment[] = [
      { replica: 0, step: 3, startMs: 1000, phasesMs: phases({ compute: 40, readback: 5, allReduceWait: 40, apply: 8, idle: 7 }) },
      { replica: 1, step: 3, startMs: 1000, phasesMs: phases({ compute: 70, readback: 5, allReduceWait: 10, apply: 8, idle: 7 }) },
    ];
    const p = stepPhases(step);
    expect(p.computeMs).toBeCloseTo((53 + 83) / 2, 9);
    expect(p.allReduceMs).toBeCloseTo(10, 9);
    expect(p.slowestWaitMs).toBeCloseTo(15, 9); // 30 ms for replica 0, 0 for replica 1
    expect(p.idleMs).toBeCloseTo(7 + 15, 9);
    expect(p.computeMs + p.allReduceMs + p.idleMs).toBeCloseTo(100, 9);
  });

  it('takes a late start into account: a replica that began later is ready later', () => {
    const step: PhaseSegment[] = [
      { replica: 0, step: 1, startMs: 0, phasesMs: phases({ compute: 50, allReduceWait: 25 }) },
      // Same compute, started 20 ms later (its message arrived later): replica 0 waits 20 ms for it.
      { replica: 1, step: 1, startMs: 20, phasesMs: phases({ compute: 50, allReduceWait: 5, idle: 20 }) },
    ];
    const p = stepPhases(step);
    expect(p.slowestWaitMs).toBeCloseTo(10, 9);
    expect(p.allReduceMs).toBeCloseTo(5, 9);
  });

  it('never makes a wait longer than the all-reduce clock it was measured in', () => {
    const step: PhaseSegment[] = [
      { replica: 0, step: 1, startMs: 0, phasesMs: phases({ compute: 10, allReduceWait: 2 }) },
      { replica: 1, step: 1, startMs: 0, phasesMs: phases({ compute: 50, allReduceWait: 2 }) },
    ];
    const p = stepPhases(step);
    expect(p.allReduceMs).toBeGreaterThanOrEqual(0);
    expect(p.slowestWaitMs).toBeCloseTo(1, 9); // replica 0: min(40, 2) = 2; replica 1: 0
  });
});

describe('stepBreakdown: the median step of a run', () => {
  const twoReplicaRun = (steps: number, slowStep: number): PhaseSegment[] =>
    Array.from({ length: steps }, (_, s) => {
      const compute = s === 0 ? 900 : s === slowStep ? 400 : 60; // step 0 compiles; one step hit a busy machine
      return [0, 1].map((replica) => ({ replica, step: s, startMs: s * 100, phasesMs: phases({ compute: replica ? compute + 10 : compute, allReduceWait: replica ? 4 : 14, idle: 6 }) }));
    }).flat();

  it('is the median over steps without the first, so a compile step and one slow step do not move it', () => {
    const b = stepBreakdown(twoReplicaRun(9, 4))!;
    expect(b.steps).toBe(8);
    expect(b.replicas).toBe(2);
    expect(b.computeMs).toBeCloseTo(65, 9);
    expect(b.allReduceMs).toBeCloseTo(4, 9);
    expect(b.slowestWaitMs).toBeCloseTo(5, 9);
    expect(b.idleMs).toBeCloseTo(11, 9);
  });

  it('gives one replica its compute only, and nothing for an empty timeline', () => {
    const one = stepBreakdown([0, 1, 2].map((s) => ({ replica: 0, step: s, startMs: s * 50, phasesMs: phases({ compute: 30, readback: 2, apply: 3, idle: 1 }) })))!;
    expect(one).toEqual({ steps: 2, replicas: 1, computeMs: 35, allReduceMs: null, idleMs: null, slowestWaitMs: null });
    expect(stepBreakdown([])).toBeNull();
    expect(computeOnlyBreakdown([500, 40, 50, 45])).toMatchObject({ steps: 3, replicas: 1, computeMs: 45, allReduceMs: null, idleMs: null });
    expect(computeOnlyBreakdown([])).toBeNull();
  });
});

describe("the run table's row of a finished run", () => {
  const stepDone = (step: number, durationMs: number): TrainerEvent => ({ type: 'stepCompleted', epoch: 1, step: step + 1, loss: 2, tokens: 100, durationMs, tokensPerSecond: 100_000 / durationMs });
  const running: TrainerEvent = { type: 'stateChanged', state: 'running' };
  const finished: TrainerEvent = { type: 'stateChanged', state: 'finished' };

  it('with 2 replicas: compute, all-reduce and idle from the run timeline', () => {
    const events: TrainerEvent[] = [running];
    for (let s = 0; s < 4; s++) {
      for (const replica of [0, 1]) {
        const compute = replica ? 50 : 40;
        events.push({ type: 'workerTimeline', replica, step: s, startMs: s * 80, phasesMs: phases({ compute, allReduceWait: replica ? 6 : 16, apply: 5, idle: 3 }) });
      }
      events.push(stepDone(s, 80));
    }
    events.push(finished);
    const t = reduceTrainerEvents({ ...initialTrainingData(), config: { ...initialTrainingData().config, replicas: 2 } }, events);
    expect(t.history).toHaveLength(1);
    expect(t.history[0].breakdown).toEqual({ steps: 3, replicas: 2, computeMs: 50, allReduceMs: 6, idleMs: 8, slowestWaitMs: 5 });
  });

  it('with one replica on the page: its median step is compute, no all-reduce, no idle', () => {
    const t = reduceTrainerEvents(initialTrainingData(), [running, stepDone(0, 900), stepDone(1, 120), stepDone(2, 100), stepDone(3, 110), finished]);
    expect(t.history[0].breakdown).toEqual({ steps: 3, replicas: 1, computeMs: 110, allReduceMs: null, idleMs: null, slowestWaitMs: null });
  });
});
