import { useMemo } from 'react';
import { CartesianGrid, ComposedChart, Line, LineChart, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { hasLossScale, lossScaleRows, throughputRows } from '../charts/trainingSeries.ts';
import type { StepSeries } from '../../store/slices/training/index.ts';
import type { TrainConfig } from '../../protocol/training.ts';
import { useStudio } from '../storeContext.tsx';
import { ChartBox, fmt, spreadDomain, spreadStepDomain } from './ChartBox.tsx';
import { useLiveChartData } from './liveChartData.ts';

export function ThroughputChart() {
  const steps = useLiveChartData(useStudio((s) => s.training.steps));
  return useMemo(() => <ThroughputFigure steps={steps} />, [steps]);
}

function ThroughputFigure({ steps }: { steps: StepSeries }) {
  const rows = throughputRows(steps);
  const last = rows.length ? rows[rows.length - 1].tokensPerSecond : null;
  return (
    <ChartBox
      title="Tokens per second"
      testId="chart-throughput"
      empty={rows.length ? null : 'Training speed in caption words per second.'}
      summary={`Latest speed ${fmt(last, 0)} tokens per second.`}
      data={{ points: rows.length }}
    >
      <LineChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="step" type="number" allowDecimals={false} domain={spreadStepDomain} />
        <YAxis />
        <Tooltip formatter={(v) => fmt(v as number, 0)} />
        <Line dataKey="tokensPerSecond" name="tokens/s" stroke="#26a269" dot={false} isAnimationActive={false} />
      </LineChart>
    </ChartBox>
  );
}

/** Mixed precision only: the loss scale over steps, skipped steps marked in red. */
export function LossScaleChart() {
  const steps = useLiveChartData(useStudio((s) => s.training.steps));
  const skipped = useStudio((s) => s.training.skippedSteps);
  const precision = useStudio((s) => s.training.config.precision);
  return useMemo(() => <LossScaleFigure steps={steps} skipped={skipped} precision={precision} />, [steps, skipped, precision]);
}

function LossScaleFigure({ steps, skipped, precision }: { steps: StepSeries; skipped: number; precision: TrainConfig['precision'] }) {
  const rows = lossScaleRows(steps);
  const shown = hasLossScale(steps);
  return (
    <ChartBox
      title="Loss scale and skipped steps (float16)"
      testId="chart-loss-scale"
      empty={shown ? null : precision === 'float32' ? 'Only used with mixed float16 precision.' : 'Appears once float16 training starts.'}
      summary={`${rows.length && rows[rows.length - 1].lossScale !== null ? `Loss scale now ${rows[rows.length - 1].lossScale}; ` : ''}${skipped} steps skipped.`}
      data={{ skipped, points: rows.length, 'last-scale': rows.length ? (rows[rows.length - 1].lossScale ?? '') : '' }}
    >
      <ComposedChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="step" type="number" allowDecimals={false} domain={spreadStepDomain} />
        <YAxis scale="log" domain={['auto', 'auto']} allowDataOverflow />
        <Tooltip />
        <Line dataKey="lossScale" name="loss scale" stroke="#9141ac" dot={false} isAnimationActive={false} type="stepAfter" />
        <Scatter dataKey="skippedScale" name="skipped" fill="#c01c28" isAnimationActive={false} />
      </ComposedChart>
    </ChartBox>
  );
}
