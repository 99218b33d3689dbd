/**
 * The hang bound of a mirrored step: the median's bound once steps have finished, the first step's bound for
 * a step that a replica with no computed step yet takes (a restarted replica compiles its kernels in it: on
 * SwiftShader under load that took longer than 30 s, and the median's bound called it hung).
 */
import { describe, expect, it } from 'vitest';
import { StepWatchdog } from '../../../../src/engine/mirrored/watchdog.ts';

describe('the mirrored step watchdog', () => {
  const bound = { factor: 10, minMs: 30_000, firstStepMs: 600_000 };

  it('bounds the first step by firstStepMs, later ones by the median (at least minMs)', () => {
    const watchdog = new StepWatchdog(bound);
    expect(watchdog.limit().ms).toBe(600_000);
    for (const ms of [100, 200, 5000]) watchdog.finished(ms);
    expect(watchdog.limit().ms).toBe(30_000);
    watchdog.finished(5000);
    watchdog.finished(5000);
    expect(watchdog.limit().ms).toBe(50_000);
  });

  it("gives a restarted replica's first step the first step's bound", () => {
    const watchdog = new StepWatchdog(bound);
    for (const ms of [100, 100, 100]) watchdog.finished(ms);
    const limit = watchdog.limit(true);
    expect(limit.ms).toBe(600_000);
    expect(limit.why).toContain("replica's first step");
  });
});
