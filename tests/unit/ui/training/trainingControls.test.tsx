/**
 * The run's status line next to Start (server-rendered markup): while auto measures the backends before a
 * run's first step, the line says so instead of 'Not started.'.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TrainingControls } from '../../../../src/ui/training/TrainingControls.tsx';
import { StoreProvider } from '../../../../src/ui/storeContext.tsx';
import { testStore } from '../../../support/studioStore.ts';

function statusLine(calibrating: boolean): string {
  const { store } = testStore();
  if (calibrating) store.getState().setCalibrating('training');
  const html = renderToStaticMarkup(
    <StoreProvider store={{ ...store, getInitialState: store.getState }}>
      <TrainingControls />
    </StoreProvider>,
  );
  return /data-testid="training-state"[^>]*>([^<]*)</.exec(html)?.[1] ?? html;
}

describe('the Training panel status line', () => {
  it('says the backends are being measured while auto calibrates before the run', () => {
    expect(statusLine(true)).toMatch(/^Measuring each backend on a step of the training… · epoch 0 of \d+ · 0 steps$/);
  });

  it('says not started before a click', () => {
    expect(statusLine(false)).toMatch(/^Not started\. · epoch 0 of \d+ · 0 steps$/);
  });
});
