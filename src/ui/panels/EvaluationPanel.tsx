import { useState } from 'react';
import { featureWidthRefusal } from '../../store/slices/model.ts';
import { BleuComparison } from '../evaluation/BleuComparison.tsx';
import { DemoScore } from '../evaluation/DemoScore.tsx';
import { ImageGrid } from '../evaluation/ImageGrid.tsx';
import { ErrorNote } from '../panelKit/ErrorNote.tsx';
import { ProgressBar } from '../panelKit/ProgressBar.tsx';
import { useStudio } from '../storeContext.tsx';
import { useSession } from '../panelKit/hooks.ts';
import { NumberInput } from '../panelKit/NumberInput.tsx';
import { Setting } from '../panelKit/Setting.tsx';
import '../panelKit/panels.css';

export function EvaluationPanel() {
  const session = useSession();
  const e = useStudio((s) => s.evaluation);
  const hasModel = useStudio((s) => s.model.info !== null);
  // Features of another width than the model's are refused, with the sentence naming the weights it needs.
  const refusal = useStudio((s) =>
    s.model.info && s.features.status === 'done' && s.features.featureDim !== null
      ? featureWidthRefusal(s.model.info, { featureDim: s.features.featureDim, backboneId: s.features.identity?.backboneId })
      : null,
  );
  const unavailable = session.unavailable('evaluate') ?? (hasModel ? refusal : 'train a model or import one first');
  const [limit, setLimit] = useState(200);
  return (
    <section className="panel sp-panel" aria-labelledby="panel-title-evaluation">
      <h2 id="panel-title-evaluation">Evaluation</h2>
      <p className="sp-lead">
        BLEU counts how many words and word pairs (up to 4) of the model's caption appear in the human captions. The same model is scored
        under both protocols: they clean the captions differently, so their numbers differ.
      </p>
      <Setting label="Test images" explain="How many test images to caption per protocol: more give a steadier BLEU but take longer (the notebook scores all 1,000).">
        {(p) => <NumberInput {...p} min={1} max={10_000} step={1} value={limit} disabled={p.disabled || e.status === 'running'} onCommit={(v) => setLimit(Math.round(v))} />}
      </Setting>
      <div className="sp-actions">
        <button type="button" data-testid="eval-start" disabled={e.status === 'running' || Boolean(unavailable)} onClick={() => void session.evaluate(['kaggle', 'standard'], limit)}>
          Evaluate on the test split
        </button>
        <button type="button" data-testid="eval-cancel" disabled={e.status !== 'running'} onClick={() => session.cancelEvaluation()}>
          Cancel
        </button>
        {unavailable ? <span className="sp-reason">Unavailable: {unavailable}</span> : null}
      </div>
      {e.status === 'running' ? <ProgressBar label="Captioning test images" done={e.done} total={e.total} testId="eval-progress" /> : null}
      <p className="sp-status" data-testid="eval-status" data-status={e.status} aria-live="polite">
        {e.status === 'done' ? 'Evaluation finished.' : e.status === 'cancelled' ? 'Evaluation cancelled.' : ''}
      </p>
      <ErrorNote error={e.error} testId="eval-error" />
      <DemoScore />
      <BleuComparison />
      <ImageGrid />
    </section>
  );
}
