/**
 * The run's status line next to Start (server-rendered markup): while auto measures the backends before a
 * run's first step, the line says so instead of 'Not started.', and Start is not offered again then.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TrainingControls } from '../../../../src/ui/training/TrainingControls.tsx';
import { StoreProvider } from '../../../../src/ui/storeContext.tsx';
import { testStore } from '../../../support/studioStore.ts';

function render(calibrating: boolean): string {
  const { store } = testStore();
  // Features extracted: Start is offered unless something else holds it back.
  store.getState().updateExtraction({ status: 'done' });
  if (calibrating) store.getState().setCalibrating('training');
  return renderToStaticMarkup(
    <StoreProvider store={{ ...store, getInitialState: store.getState }}>
      <TrainingControls />
    </StoreProvider>,
  );
}

function statusLine(calibrating: boolean): string {
  const html = render(calibrating);
  return /data-testid="training-state"[^>]*>([^<]*)</.exec(html)?.[1] ?? html;
}

const startDisabled = (html: string) => /<button[^>]*data-testid="train-start"[^>]*>/.exec(html)![0].includes('disabled');

describe('the Training panel status line', () => {
  it('says the backends are being measured while auto calibrates before the run', () => {
    expect(statusLine(true)).toMatch(/^Measuring each backend on a step of the training… · epoch 0 of \d+ · 0 steps$/);
  });

  it('does not offer Start again while the backends are measured (the run is starting)', () => {
    expect(startDisabled(render(false))).toBe(false);
    expect(startDisabled(render(true))).toBe(true);
  });

  it('says not started before a click', () => {
    expect(statusLine(false)).toMatch(/^Not started\. · epoch 0 of \d+ · 0 steps$/);
  });
});
