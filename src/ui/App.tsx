import type { StudioStore } from '../store/studioStore.ts';
import { Header } from './Header.tsx';
import { ComingPanel } from './panels/ComingPanel.tsx';
import { PANELS } from './panels/registry.tsx';
import { StoreProvider, useStudio } from './storeContext.tsx';

function ActivePanel() {
  const active = useStudio((state) => state.activePanel);
  const panel = PANELS.find((entry) => entry.id === active) ?? PANELS[0];
  const Component = panel.component;
  return (
    <main id={`panel-${panel.id}`} role="tabpanel" aria-labelledby={`tab-${panel.id}`} className="main">
      {Component ? <Component /> : <ComingPanel panel={panel} />}
    </main>
  );
}

export function App({ store }: { store: StudioStore }) {
  return (
    <StoreProvider store={store}>
      <Header />
      <ActivePanel />
    </StoreProvider>
  );
}
