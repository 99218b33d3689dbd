/** Live training charts redraw at most once a second while a run goes, and show everything once it stops. */
import { describe, expect, it } from 'vitest';
import { LiveThrottle } from '../../../../src/ui/charts/liveThrottle.ts';

describe('LiveThrottle', () => {
  it('while running: the first value at once, newer ones held until the interval is over, then the latest', () => {
    const t = new LiveThrottle('a', 1000);
    expect(t.take('a', true, 0)).toEqual({ value: 'a', redrawInMs: null });
    expect(t.take('b', true, 300)).toEqual({ value: 'a', redrawInMs: 700 });
    expect(t.take('c', true, 900)).toEqual({ value: 'a', redrawInMs: 100 });
    // The redraw the caller scheduled: the latest value, not the one held first.
    expect(t.take('c', true, 1000)).toEqual({ value: 'c', redrawInMs: null });
    expect(t.take('d', true, 1500)).toEqual({ value: 'c', redrawInMs: 500 });
  });

  it('paused, ended or failed: the current value at once, held back values included', () => {
    const t = new LiveThrottle(1, 1000);
    t.take(1, true, 0);
    expect(t.take(2, true, 10).value).toBe(1);
    expect(t.take(3, false, 20)).toEqual({ value: 3, redrawInMs: null });
    // Going again right after: the interval counts from what was drawn last.
    expect(t.take(4, true, 30)).toEqual({ value: 3, redrawInMs: 990 });
  });
});
