/** When the page was hidden during a run, and the steps per second then and in the visible stretch before. */
import { describe, expect, it } from 'vitest';
import { initialPageVisibility, runStarted, spanRates, visibilityChanged } from '../../../src/store/slices/training/hiddenPage.ts';
import { testStore } from '../../support/studioStore.ts';

describe('hidden page spans', () => {
  it('records a span from hide to show with its steps, and the visible rate before it', () => {
    let v = runStarted(initialPageVisibility(), 0, 1_000);
    v = visibilityChanged(v, true, 20, true, 11_000); // 20 steps in 10 s visible
    expect(v.spans).toHaveLength(1);
    expect(v.spans[0].toMs).toBeNull();
    v = visibilityChanged(v, false, 25, true, 21_000); // 5 steps in 10 s hidden
    expect(spanRates(v.spans[0])).toEqual({ hiddenStepsPerSecond: 0.5, visibleStepsPerSecond: 2 });
    // The next span compares with the visible stretch since the page came back.
    v = visibilityChanged(v, true, 35, true, 26_000);
    expect(spanRates(v.spans[1]).visibleStepsPerSecond).toBe(2);
  });

  it('ignores a hidden page while no run goes, and opens a span for a run started hidden', () => {
    let v = visibilityChanged(initialPageVisibility(), true, 0, false, 1_000);
    expect(v.spans).toEqual([]);
    v = runStarted(v, 0, 2_000);
    expect(v.spans).toHaveLength(1);
    v = visibilityChanged(v, false, 3, true, 5_000);
    expect(spanRates(v.spans[0])).toEqual({ hiddenStepsPerSecond: 1, visibleStepsPerSecond: null });
  });

  it('the training slice opens a span when a run goes while hidden, and keeps the hidden state over a new run', () => {
    const { store } = testStore();
    const s = () => store.getState();
    s().applyTrainerEvents([{ type: 'stateChanged', state: 'running' }]);
    s().notePageVisibility(true, Date.now());
    expect(s().training.visibility.spans).toHaveLength(1);
    s().resetTrainingRun();
    expect(s().training.visibility).toEqual({ hiddenNow: true, visibleSince: null, spans: [] });
  });
});
