import { useState } from 'react';
import { warningsToCsv, warningsToJson } from '../../store/warningsExport.ts';
import { downloadBlob } from '../browser/download.ts';
import { useStudio } from '../storeContext.tsx';

/** Rows per page: long lists (thousands of problems on a messy folder) are paginated, never all in the DOM. */
export const WARNINGS_PER_PAGE = 25;

export function WarningsList() {
  const warnings = useStudio((state) => state.warnings);
  const sourceName = useStudio((state) => state.datasetSource?.name ?? 'dataset');
  // The loader lists a few problems per kind and summarises the rest in one line; stats count them all.
  const total = useStudio((state) => state.stats?.warnings.total ?? null);
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(warnings.length / WARNINGS_PER_PAGE));
  const current = Math.min(page, pages - 1);
  const rows = warnings.slice(current * WARNINGS_PER_PAGE, (current + 1) * WARNINGS_PER_PAGE);
  const baseName = `warnings-${sourceName.replace(/[^\w.-]+/g, '_')}`;

  return (
    <section className="card warnings" aria-labelledby="warnings-title" data-testid="warnings">
      <div className="card-head">
        <h3 id="warnings-title">
          Warnings <span className="count" data-testid="warnings-count">{warnings.length}</span>
        </h3>
        {warnings.length > 0 ? (
          <div className="row-buttons">
            <button type="button" onClick={() => downloadBlob(`${baseName}.json`, warningsToJson(warnings), 'application/json')}>
              Download JSON
            </button>
            <button type="button" onClick={() => downloadBlob(`${baseName}.csv`, warningsToCsv(warnings), 'text/csv')}>
              Download CSV
            </button>
          </div>
        ) : null}
      </div>
      {total !== null && total > warnings.length ? (
        <p className="note" data-testid="warnings-summarised">
          {warnings.length} listed; {total.toLocaleString('en-US')} in all. Repeats of one kind of problem are summarised in a
          single line after the first few.
        </p>
      ) : null}
      {warnings.length === 0 ? (
        <p className="muted">No problems found.</p>
      ) : (
        <>
          <table className="warnings-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Line</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((warning, index) => (
                <tr key={`${current}-${index}`} data-testid="warning-row">
                  <td><code>{warning.file}</code></td>
                  <td className="num">{warning.line ?? ''}</td>
                  <td>{warning.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {pages > 1 ? (
            <nav className="pager" aria-label="Warning pages">
              <button type="button" onClick={() => setPage(current - 1)} disabled={current === 0}>
                Previous
              </button>
              <span>
                page {current + 1} of {pages}
              </span>
              <button type="button" onClick={() => setPage(current + 1)} disabled={current === pages - 1}>
                Next
              </button>
            </nav>
          ) : null}
        </>
      )}
    </section>
  );
}
