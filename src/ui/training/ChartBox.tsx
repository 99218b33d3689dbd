import type { ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';

/** A titled chart frame; `summary` is the chart's numbers in words for screen readers and tests. */
export function ChartBox({
  title,
  testId,
  summary,
  empty,
  data,
  children,
}: {
  title: string;
  testId: string;
  summary: string;
  empty: string | null;
  data?: Record<string, string | number>;
  children: ReactNode;
}) {
  const dataAttrs = Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [`data-${k}`, String(v)]));
  return (
    <figure className="sp-chart" data-testid={testId} {...dataAttrs}>
      <h3>{title}</h3>
      {empty ? (
        <p className="sp-empty">{empty}</p>
      ) : (
        <ResponsiveContainer width="100%" height={240}>
          {children as React.ReactElement}
        </ResponsiveContainer>
      )}
      <figcaption className="visually-hidden">{summary}</figcaption>
    </figure>
  );
}

export const fmt = (v: number | null | undefined, digits = 3) => (v == null || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/**
 * An axis domain that never collapses to a single value: when every value is equal (the loss of a run with one
 * step, the only epoch so far; a raw loss and its smoothed twin that differ in the last bit) recharts draws
 * several ticks at the same place, with duplicate React keys. An extent within a millionth of the values is
 * spread by 5% of the value (at least 1e-6) around its middle; otherwise the data's own extent stays.
 */
/** A step axis (whole numbers from 0): one step alone gets its neighbours, not ticks at ±5e-7. */
export function spreadStepDomain([min, max]: readonly [number, number]): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max > min) return [min, max];
  return [Math.max(0, min - 1), max + 1];
}

export function spreadDomain([min, max]: readonly [number, number]): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [min, max];
  const size = Math.max(Math.abs(min), Math.abs(max));
  if (max - min > size * 1e-6) return [min, max];
  const middle = (min + max) / 2;
  const pad = Math.max(size * 0.05, 1e-6);
  return [middle - pad, middle + pad];
}
