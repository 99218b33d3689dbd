// A chart axis never collapses to one value: recharts then draws duplicate ticks (duplicate React keys).
import { describe, expect, it } from 'vitest';
import { spreadDomain } from '../../../../src/ui/training/ChartBox.tsx';

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
