import type { PlaygroundItem } from '../../store/slices/playground.ts';
import { ErrorNote } from '../panelKit/ErrorNote.tsx';

/**
 * One image and its caption as it forms; at each step the chosen word and the runners-up with probabilities,
 * folded (one click away) so that many images stay a list of captions, not pages of tables.
 */
export function CaptionCard({ item, onRemove }: { item: PlaygroundItem; onRemove(): void }) {
  return (
    <li data-testid="playground-item" data-status={item.status}>
      {item.imageUrl ? <img src={item.imageUrl} alt={item.name} /> : <div className="sp-noimg" aria-hidden="true" />}
      <div>
      <p className="sp-caption" data-testid="playground-caption" aria-live="polite">
        {item.caption ?? (item.status === 'failed' ? '' : item.steps.map((s) => s.word).join(' ') + (item.status === 'captioning' ? ' …' : ''))}
      </p>
      {item.status === 'done' && !(item.caption ?? '').trim() ? (
        <p className="sp-reason" data-testid="playground-empty">
          No words: the model ended this caption at its first step. A model trained longer (or on more pictures) says more.
        </p>
      ) : null}
      <ErrorNote error={item.error} />
      {item.steps.length ? (
        <details data-testid="playground-steps">
          <summary>Top words at each of the {item.steps.length} steps</summary>
          <ol className="sp-steps">
            {item.steps.map((step, i) => (
              <li key={i} className="sp-step">
                <b>{step.word}</b>
                {step.top.map((t) => (
                  <div key={t.word}>
                    {/* Bars relative to the step's best word, so a flat distribution still reads. */}
                    <span className="sp-bar" style={{ width: `${Math.max((t.probability / Math.max(step.top[0]?.probability ?? 1, 1e-9)) * 4, 0.15)}rem` }} />
                    {t.word} {(t.probability * 100).toFixed(1)}%
                  </div>
                ))}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      <p>
        <code>{item.name}</code>{' '}
        <button type="button" onClick={onRemove} aria-label={`Remove ${item.name}`}>
          Remove
        </button>
      </p>
      </div>
    </li>
  );
}
