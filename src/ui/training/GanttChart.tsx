import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { ganttRows, phaseShares, ganttBars, type GanttKey } from '../charts/trainingSeries.ts';
import { useStudio } from '../storeContext.tsx';
import { ChartBox } from './ChartBox.tsx';

const COLORS: Record<GanttKey, string> = {
  gap: 'transparent',
  compute: '#1a5fb4',
  communication: '#e5a50a',
  apply: '#1a5fb4',
  idle: '#c0bfbc',
};

/** Replica timeline of the last steps: compute (blue), communication (amber), idle (grey). */
export function GanttChart() {
  const timeline = useStudio((s) => s.training.timeline);
  const replicas = useStudio((s) => s.training.config.replicas);
  const { rows, series } = ganttRows(timeline);
  const shares = phaseShares(ganttBars(timeline).bars);
  const summary = [...shares.entries()]
    .map(([r, s]) => `replica ${r}: ${Math.round(s.compute * 100)}% compute, ${Math.round(s.communication * 100)}% communication, ${Math.round(s.idle * 100)}% idle`)
    .join('; ');
  return (
    <div>
    <ChartBox
      title="Timeline per replica (last steps, ms)"
      testId="chart-gantt"
      empty={rows.length ? null : replicas > 1 ? 'Where each replica spends its time, step by step.' : 'Drawn when training with 2 or more replicas.'}
      summary={summary}
      data={{ replicas: rows.length }}
    >
      <BarChart data={rows} layout="vertical" barCategoryGap={6}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" unit=" ms" />
        <YAxis type="category" dataKey="replica" width={90} />
        <Tooltip formatter={(v, name) => [`${Number(v).toFixed(1)} ms`, String(name).replace(/^s(\d+)_/, 'step $1 ')]} />
        {series.map((s) => (
          <Bar key={s.key} dataKey={s.key} stackId="t" fill={COLORS[s.phase]} isAnimationActive={false} legendType="none" />
        ))}
      </BarChart>
    </ChartBox>
    {rows.length ? (
      <p className="sp-legend">
        {(['compute', 'communication', 'idle'] as const).map((k) => (
          <span key={k}>
            <span className="sp-bar" style={{ background: COLORS[k], width: '1rem' }} /> {k}{' '}
          </span>
        ))}
      </p>
    ) : null}
    </div>
  );
}
