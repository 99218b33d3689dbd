import type { PanelEntry } from './registry.tsx';

export function ComingPanel({ panel }: { panel: PanelEntry }) {
  return (
    <section className="panel coming" aria-labelledby={`panel-title-${panel.id}`}>
      <h2 id={`panel-title-${panel.id}`}>{panel.title}</h2>
      <p>{panel.blurb}</p>
      <p className="muted">Coming in a later version of the studio.</p>
    </section>
  );
}
