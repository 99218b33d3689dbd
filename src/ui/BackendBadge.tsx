import type { PageBackend, RunBackend } from '../store/slices/training/index.ts';
import { useSession } from './panelKit/hooks.ts';
import { useStudio } from './storeContext.tsx';

export interface BackendHeadline {
  /** 'training on wasm' while a run goes, else 'backend webgpu', with the adapter where there is one. */
  badge: string;
  backend: string;
  /** The GPU the page got, working at GPU speed (not a software emulation). */
  realGpu: boolean;
  /** Why this backend: how it was chosen, a software adapter named as one, what was passed over. */
  why: string;
}

/** What the header says of the backend: the run's while one goes, else the page's; null while choosing. */
export function backendHeadline(page: PageBackend | null, run: RunBackend | null): BackendHeadline | null {
  if (!page && !run) return null;
  const backend = run?.backend ?? page!.backend;
  // What the page found about its backend holds for the run only when the run uses the same one.
  const samePage = page && page.backend === backend ? page : null;
  const adapter = run?.adapter ?? samePage?.adapter;
  const passedOver = run?.fallbackReason ?? samePage?.fallbackReason;
  const software = backend === 'webgpu' && Boolean(samePage?.isSoftware);
  const why = [
    samePage?.chosenBecause ? `Chosen as ${samePage.chosenBecause}.` : '',
    software ? 'A CPU emulation of a GPU: its speeds are not GPU speeds.' : '',
    passedOver ? `Passed over: ${passedOver}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { badge: `${run ? 'training on' : 'backend'} ${backend}${adapter ? ` · ${adapter}` : ''}`, backend, realGpu: backend === 'webgpu' && !software, why };
}

/** The header's backend, and why it is the one. */
export function BackendBadge() {
  // The session chooses the page's backend when it is made: the header asks for it on the first render.
  useSession();
  const page = useStudio((s) => s.training.pageBackend);
  const run = useStudio((s) => (s.training.state === 'running' || s.training.state === 'paused' ? s.training.backend : null));
  const calibrating = useStudio((s) => s.backendChoice.calibrating);
  const headline = backendHeadline(page, run);
  if (!headline) {
    return (
      <span className="badge" data-testid="backend-badge" data-backend="">
        choosing a backend…
      </span>
    );
  }
  return (
    <span className="backend-head" data-testid="backend-badge" data-backend={headline.backend}>
      <span className={`badge ${headline.realGpu ? 'badge-ok' : 'badge-warn'}`}>
        {headline.badge}
        {calibrating ? ` · measuring the backends before ${calibrating}…` : ''}
      </span>
      {headline.why ? (
        <span className="backend-why" data-testid="backend-why">
          {headline.why}
        </span>
      ) : null}
    </span>
  );
}
