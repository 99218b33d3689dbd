import { ModelActions } from '../model/ModelActions.tsx';
import { ModelNeeds } from '../model/ModelNeeds.tsx';
import { ModelWeights } from '../model/ModelWeights.tsx';
import { ScaleOutActions } from '../model/ScaleOutActions.tsx';
import { ErrorNote } from '../panelKit/ErrorNote.tsx';
import { useStudio } from '../storeContext.tsx';
import { useSession } from '../panelKit/hooks.ts';
import '../panelKit/panels.css';

const SOURCE: Record<string, string> = { trained: 'trained in this studio', archive: 'imported archive', notebook: 'converted notebook model' };

export function ModelPanel() {
  // Makes the page's session (if no other panel did), which brings back the run saved before a reload.
  useSession();
  const m = useStudio((s) => s.model);
  return (
    <section className="panel sp-panel" aria-labelledby="panel-title-model">
      <h2 id="panel-title-model">Model</h2>
      <p className="sp-status" data-testid="model-info" data-source={m.info?.source ?? ''} aria-live="polite">
        {m.info
          ? `Current model: ${m.info.label} (${SOURCE[m.info.source]}), vocabulary ${m.info.vocabSize} words, captions up to ${m.info.maxLength} tokens, ${m.info.featureDim} image features.`
          : 'No model yet: train one (Training tab) or import one below.'}
      </p>
      <ModelNeeds />
      {m.operation !== 'idle' ? <p aria-live="polite">{m.operation}…</p> : null}
      {m.lastExport ? (
        <p data-testid="model-exported">
          Exported <code>{m.lastExport.fileName}</code> ({(m.lastExport.bytes / 1024).toFixed(0)} KiB).
        </p>
      ) : null}
      {m.savedRun ? (
        <p data-testid="model-saved-run">
          Last run saved in this browser: {m.savedRun.label}, {m.savedRun.steps} steps, {new Date(m.savedRun.savedAtMs).toLocaleString()}. It comes back after
          a reload.
        </p>
      ) : null}
      <ModelActions />
      <ScaleOutActions />
      {m.info ? <ModelWeights info={m.info} /> : null}
      <ErrorNote error={m.error} testId="model-error" />
    </section>
  );
}
