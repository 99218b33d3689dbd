import { useRef, type KeyboardEvent } from 'react';
import type { PanelId } from '../store/slices/ui.ts';
import { useStudio } from './storeContext.tsx';
import { PANELS } from './panels/registry.tsx';
import { BackendBadge } from './BackendBadge.tsx';

/** Cross-origin isolation (SharedArrayBuffer, wasm threads) is a property of the page: read it once. */
function IsolationBadge() {
  const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated;
  return (
    <span
      className={`badge ${isolated ? 'badge-ok' : 'badge-warn'}`}
      data-testid="isolation-badge"
      title={isolated ? 'SharedArrayBuffer and wasm threads available' : 'Served without COOP/COEP headers: no SharedArrayBuffer'}
    >
      {isolated ? 'cross-origin isolated' : 'not isolated'}
    </span>
  );
}

export function Header() {
  const active = useStudio((state) => state.activePanel);
  const setActive = useStudio((state) => state.setActivePanel);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  // WAI-ARIA tabs: arrows move between tabs, Home/End jump to the ends.
  function onKeyDown(event: KeyboardEvent, index: number) {
    const last = PANELS.length - 1;
    const target =
      event.key === 'ArrowRight' ? (index === last ? 0 : index + 1)
      : event.key === 'ArrowLeft' ? (index === 0 ? last : index - 1)
      : event.key === 'Home' ? 0
      : event.key === 'End' ? last
      : null;
    if (target === null) return;
    event.preventDefault();
    setActive(PANELS[target].id as PanelId);
    tabs.current[target]?.focus();
  }

  return (
    <header className="header">
      <div className="brand">
        <h1>WebGPU Caption Studio</h1>
        <IsolationBadge />
        <BackendBadge />
      </div>
      <nav role="tablist" aria-label="Panels" className="tabs">
        {PANELS.map((panel, index) => (
          <button
            key={panel.id}
            ref={(element) => {
              tabs.current[index] = element;
            }}
            role="tab"
            id={`tab-${panel.id}`}
            aria-selected={panel.id === active}
            aria-controls={`panel-${panel.id}`}
            tabIndex={panel.id === active ? 0 : -1}
            className={`tab${panel.component ? '' : ' tab-coming'}`}
            onClick={() => setActive(panel.id)}
            onKeyDown={(event) => onKeyDown(event, index)}
          >
            {panel.title}
            {panel.component ? null : <span className="tab-note"> (coming)</span>}
          </button>
        ))}
      </nav>
    </header>
  );
}
