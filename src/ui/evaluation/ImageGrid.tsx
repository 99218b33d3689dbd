import { useMemo, useState } from 'react';
import type { Protocol } from '../../core/data/types.ts';
import { belongsElsewhere, currentOwner, sortImageResults, type EvaluationData } from '../../store/slices/evaluation.ts';
import { useStudio, useStudioStore } from '../storeContext.tsx';
import { fmt } from '../training/ChartBox.tsx';
import { DatasetImage } from './DatasetImage.tsx';

const PAGE = 24;

/** Test images with the model's caption and the references, sortable by per-image BLEU-1. */
export function ImageGrid() {
  const results = useStudio((s) => s.evaluation.results);
  const sortBy = useStudio((s) => s.evaluation.sortBy);
  const setSort = useStudioStore().getState().setEvaluationSort;
  const available = (['standard', 'kaggle'] as const).filter((p) => results[p] && results[p].images.length > 0);
  const [protocol, setProtocol] = useState<Protocol | null>(null);
  const [shown, setShown] = useState(PAGE);
  const chosen = protocol && results[protocol] ? protocol : available[0];
  const images = useMemo(() => (chosen ? sortImageResults(results[chosen]!.images, sortBy) : []), [results, chosen, sortBy]);
  const elsewhere = useStudio((s) => (chosen ? belongsElsewhere(results[chosen]!.owner, currentOwner(s)) : null));
  if (!chosen) return null;
  return (
    <section aria-label="Test images">
      {elsewhere ? (
        <p className="sp-reason" data-testid="eval-grid-elsewhere">
          These captions are {elsewhere}: evaluate again for the model and dataset loaded now.
        </p>
      ) : null}
      <div className="sp-actions">
        <label>
          References from{' '}
          <select value={chosen} onChange={(e) => setProtocol(e.target.value as Protocol)}>
            {available.map((p) => (
              <option key={p} value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Sort by{' '}
          <select data-testid="grid-sort" value={sortBy} onChange={(e) => setSort(e.target.value as EvaluationData['sortBy'])}>
            <option value="score-desc">best BLEU-1 first</option>
            <option value="score-asc">worst BLEU-1 first</option>
            <option value="name">image name</option>
          </select>
        </label>
      </div>
      <ul className="sp-images" data-testid="eval-grid">
        {images.slice(0, shown).map((r) => {
          return (
            <li key={r.name} data-score={r.score} data-objects-right={r.objectsRight === undefined ? undefined : String(r.objectsRight)}>
              <DatasetImage name={r.name} />
              <p className="sp-caption">{r.prediction || '(empty caption)'}</p>
              <p>
                BLEU-1 {fmt(r.score, 2)}
                {r.objectsRight === undefined ? null : r.objectsRight ? ' · every object right' : ' · an object wrong or missing'} · <code>{r.name}</code>
              </p>
              <details>
                <summary>{r.references.length} references</summary>
                <ul>
                  {r.references.map((ref, i) => (
                    <li key={i}>{ref}</li>
                  ))}
                </ul>
              </details>
            </li>
          );
        })}
      </ul>
      {shown < images.length ? (
        <button type="button" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, images.length - shown)} more of {images.length - shown}
        </button>
      ) : null}
    </section>
  );
}
