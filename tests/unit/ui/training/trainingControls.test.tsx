/**
 * The run's status line next to Start (server-rendered markup): while auto measures the backends before a
 * run's first step, the line says so instead of 'Not started.', and Start is not offered again then; after a
 * click on Pause it says Pausing until the run really waits.
 */
import { describe, expect, it } from 'vitest';
import { TrainingControls } from '../../../../src/ui/training/TrainingControls.tsx';
import { renderWithStore } from '../../../support/renderWithStore.tsx';
import { testStore } from '../../../support/studioStore.ts';
import type { StudioStore } from '../../../../src/store/studioStore.ts';
import type { TrainerEvent } from '../../../../src/protocol/training.ts';

function render(calibrating: boolean, events: TrainerEvent[] = [], setUp: (store: StudioStore) => void = () => undefined): string {
  const { store } = testStore();
  // Features extracted: Start is offered unless something else holds it back.
  store.getState().updateExtraction({ status: 'done' });
  if (calibrating) store.getState().setCalibrating('training');
  store.getState().applyTrainerEvents(events);
  setUp(store);
  return renderWithStore(store, <TrainingControls />);
}

function statusLine(calibrating: boolean, events: TrainerEvent[] = []): string {
  const html = render(calibrating, events);
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

  it('says Pausing until the run rests (the step and its epoch end in flight), then Paused', () => {
    const paused: TrainerEvent[] = [
      { type: 'stateChanged', state: 'running' },
      { type: 'stateChanged', state: 'paused', reason: 'paused by the user' },
    ];
    expect(statusLine(false, paused)).toMatch(/^Pausing: finishing the step in progress \(at an epoch(?:'|&#x27;)s end, its validation and checkpoint too\)… · epoch 1 of \d+ · 0 steps$/);
    expect(render(false, paused)).toContain('data-at-rest="false"');
    const resting = [...paused, { type: 'runAtRest', step: 0 } as const];
    expect(statusLine(false, resting)).toMatch(/^Paused: resume to go on from the same step\. \(paused by the user\) · epoch 1 of \d+ · 0 steps$/);
    expect(render(false, resting)).toContain('data-at-rest="true"');
    // Resumed and paused again: pausing again until the run says it rests.
    expect(statusLine(false, [...resting, { type: 'stateChanged', state: 'running' }, paused[1]!])).toMatch(/^Pausing: /);
  });

  it('says the run is starting while its trainer is set up (after the click, before the first step), and holds Start', () => {
    const html = render(false, [], (store) => store.getState().setRunContext({ dataset: 'demo', stepsPerEpoch: 14, runId: 'abc' }));
    expect(/data-testid="training-state"[^>]*>([^<]*)</.exec(html)?.[1]).toMatch(/^Starting the run: setting up the trainer/);
    expect(startDisabled(html)).toBe(true);
  });

  it('says not started before a click', () => {
    expect(statusLine(false)).toMatch(/^Not started\. · epoch 0 of \d+ · 0 steps$/);
  });
});
