/**
 * The Playground without a model: one click trains the demo model; while a run goes that button waits, and the
 * panel says why (a greyed button with no reason left a student guessing).
 */
import { describe, expect, it } from 'vitest';
import { ModelScope } from '../../../../src/ui/playground/ModelScope.tsx';
import { renderWithStore } from '../../../support/renderWithStore.tsx';
import { testStore } from '../../../support/studioStore.ts';

function render(running: boolean): string {
  const { store } = testStore();
  if (running) store.getState().applyTrainerEvents([{ type: 'stateChanged', state: 'running' }]);
  return renderWithStore(store, <ModelScope />);
}

describe('the Playground without a model', () => {
  it('offers to train the demo model', () => {
    const html = render(false);
    expect(/<button[^>]*data-testid="train-demo-model"[^>]*>/.exec(html)![0]).not.toContain('disabled');
    expect(html).not.toContain('train-demo-busy');
  });

  it('while a run goes, holds the button and says the run is going and where its model comes', () => {
    const html = render(true);
    expect(/<button[^>]*data-testid="train-demo-model"[^>]*>/.exec(html)![0]).toContain('disabled');
    expect(html).toMatch(/data-testid="train-demo-busy"[^>]*>A run is going \(see the <button[^>]*>Training tab<\/button>\): its model comes here when it ends\./);
  });
});
