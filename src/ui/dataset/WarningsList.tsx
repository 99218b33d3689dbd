import { useMemo, useState } from 'react';
import { groupProblems, type ProblemGroup } from '../../core/data/problems.ts';
import { warningsToCsv, warningsToJson } from '../../store/warningsExport.ts';
import { downloadBlob } from '../browser/download.ts';
import { useStudio } from '../storeContext.tsx';

/** Rows per page: long lists (thousands of problems on a messy folder) are paginated, never all in the DOM. */
export const WARNINGS_PER_PAGE = 25;

function Pager({ label, page, pages, onPage }: { label: string; page: number; pages: number; onPage: (page: number) => void }) {
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" onClick={() => onPage(page - 1)} disabled={page === 0}>
        Previous
      </button>
      <span>
        page {page + 1} of {pages}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page === pages - 1}>
        Next
      </button>
    </nav>
  );
}

/** Every problem of one summarized kind, one per row with its file and line, a page at a time. */
function GroupDetails({ group }: { group: ProblemGroup }) {
  const [page, setPage] = useState(0);
  const pages = Math.ceil(group.problems.length / WARNINGS_PER_PAGE);
  const rows = group.problems.slice(page * WARNINGS_PER_PAGE, (page + 1) * WARNINGS_PER_PAGE);
  return (
    <div className="warning-group" data-testid="warning-group-rows">
      <table className="warnings-table">
        <tbody>
          {rows.map((problem, index) => (
            <tr key={`${page}-${index}`} data-testid="warning-detail-row">
              <td><code>{problem.file}</code></td>
              <td className="num">{problem.line ?? ''}</td>
              <td>{problem.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager label={`Pages of ${group.code}`} page={page} pages={pages} onPage={setPage} />
    </div>
  );
}

/**
 * The warnings as people read them: a kind of problem that repeats over many files or lines is one row with
 * the count and a few examples, opened to see every one; the downloads hold every problem, one per row.
 */
export function WarningsList() {
  const warnings = useStudio((state) => state.warnings);
  const sourceName = useStudio((state) => state.datasetSource?.name ?? 'dataset');
  const groups = useMemo(() => groupProblems(warnings), [warnings]);
  const [page, setPage] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const pages = Math.max(1, Math.ceil(groups.length / WARNINGS_PER_PAGE));
  const current = Math.min(page, pages - 1);
  const rows = groups.slice(current * WARNINGS_PER_PAGE, (current + 1) * WARNINGS_PER_PAGE);
  const baseName = `warnings-${sourceName.replace(/[^\w.-]+/g, '_')}`;
  const total = warnings.length.toLocaleString('en-US');

  return (
    <section className="card warnings" aria-labelledby="warnings-title" data-testid="warnings">
      <div className="card-head">
        <h3 id="warnings-title">
          Warnings <span className="count" data-testid="warnings-count">{total}</span>
        </h3>
        {warnings.length > 0 ? (
          <div className="row-buttons">
            <button type="button" onClick={() => downloadBlob(`${baseName}.json`, warningsToJson(warnings), 'application/json')}>
              Download all {total} (JSON)
            </button>
            <button type="button" onClick={() => downloadBlob(`${baseName}.csv`, warningsToCsv(warnings), 'text/csv')}>
              Download all {total} (CSV)
            </button>
          </div>
        ) : null}
      </div>
      {groups.length < warnings.length ? (
        <p className="note" data-testid="warnings-summarised">
          {groups.length} {groups.length === 1 ? 'line' : 'lines'} for {total} warnings: a kind of problem that repeats is one line
          with its count and a few examples; open it to see each one.
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
              {rows.map((group) => {
                const key = group.count > 1 ? group.code : `${group.code}:${group.file}:${group.line ?? ''}:${group.message}`;
                const expanded = open === key;
                return (
                  <tr key={key} data-testid="warning-row" data-code={group.code} data-count={group.count}>
                    <td><code>{group.file}</code></td>
                    <td className="num">{group.line ?? ''}</td>
                    <td>
                      {group.message}
                      {group.count > 1 ? (
                        <>
                          {' '}
                          <button
                            type="button"
                            className="link-button"
                            aria-expanded={expanded}
                            data-testid="warning-group-toggle"
                            onClick={() => setOpen(expanded ? null : key)}
                          >
                            {expanded ? 'hide' : `show all ${group.count.toLocaleString('en-US')}`}
                          </button>
                          {expanded ? <GroupDetails group={group} /> : null}
                        </>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Pager label="Warning pages" page={current} pages={pages} onPage={setPage} />
        </>
      )}
    </section>
  );
}
