import { useSession } from './panelKit/hooks.ts';
import { useStudio } from './storeContext.tsx';

/**
 * The header's backend: the one a run uses while it goes, else the one this page chose, with why the
 * faster ones were passed over, and a software adapter named as one (its speeds are not GPU speeds).
 */
export function BackendBadge() {
  // The session chooses the page's backend when it is made: the header asks for it on the first render.
  useSession();
  const page = useStudio((s) => s.training.pageBackend);
  const run = useStudio((s) => (s.training.state === 'running' || s.training.state === 'paused' ? s.training.backend : null));
  if (!page && !run) {
    return (
      <span className="badge" data-testid="backend-badge" data-backend="">
        choosing a backend…
      </span>
    );
  }
  const backend = run?.backend ?? page!.backend;
  const adapter = run?.adapter ?? page?.adapter;
  const why = run?.fallbackReason ?? page?.fallbackReason;
  const software = backend === 'webgpu' && page?.isSoftware;
  return (
    <span className="backend-head" data-testid="backend-badge" data-backend={backend}>
      <span className={`badge ${backend === 'webgpu' && !software ? 'badge-ok' : 'badge-warn'}`}>
        {run ? 'training on' : 'backend'} {backend}
        {adapter ? ` · ${adapter}` : ''}
      </span>
      {software || why ? (
        <span className="backend-why" data-testid="backend-why">
          {software ? 'a CPU emulation of a GPU: its speeds are not GPU speeds. ' : ''}
          {why ? `Passed over: ${why}` : ''}
        </span>
      ) : null}
    </span>
  );
}
