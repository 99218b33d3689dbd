// A chart axis never collapses to one value: recharts then draws duplicate ticks (duplicate React keys).
import { describe, expect, it } from 'vitest';
import { spreadDomain, spreadStepDomain } from '../../../../src/ui/training/ChartBox.tsx';

describe('spreadDomain', () => {
  it('keeps a real extent', () => {
    expect(spreadDomain([1, 2])).toEqual([1, 2]);
  });
  it('spreads a single value and two values one bit apart (a one-step loss and its smoothed twin)', () => {
    const [low, high] = spreadDomain([3.931681229078576, 3.9316812290785763]);
    expect(high - low).toBeGreaterThan(0.3);
    expect(spreadDomain([0, 0])).toEqual([-1e-6, 1e-6]);
  });
});

describe('spreadStepDomain', () => {
  it('gives one step its neighbours on a whole-number axis from 0, and keeps a real extent', () => {
    expect(spreadStepDomain([0, 0])).toEqual([0, 1]);
    expect(spreadStepDomain([5, 5])).toEqual([4, 6]);
    expect(spreadStepDomain([1, 40])).toEqual([1, 40]);
  });
});
