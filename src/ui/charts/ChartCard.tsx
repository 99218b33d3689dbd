import type { ReactElement, ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';

/** A titled card around one recharts chart, with a note saying how to read it. */
export function ChartCard({
  id,
  title,
  note,
  heightPx = 260,
  children,
}: {
  id: string;
  title: string;
  note?: ReactNode;
  heightPx?: number;
  children: ReactNode;
}) {
  return (
    <figure className="card chart" data-testid={`chart-${id}`} aria-labelledby={`chart-title-${id}`} style={{ margin: 0 }}>
      <h3 id={`chart-title-${id}`}>{title}</h3>
      <ResponsiveContainer width="100%" height={heightPx}>
        {children as ReactElement}
      </ResponsiveContainer>
      {note ? <figcaption className="note">{note}</figcaption> : null}
    </figure>
  );
}

/** Axis and bar colours with strong contrast on the light card background. */
export const CHART = {
  ink: '#111418',
  bar: '#0b4fb3',
  second: '#c2410c',
  grid: '#c3c9d2',
  tick: { fontSize: 15, fill: '#111418' },
} as const;

export function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

export function thousands(value: number): string {
  return value.toLocaleString('en-US');
}
