import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { epochRows, lossRows } from '../charts/trainingSeries.ts';
import type { StepSeries } from '../../store/slices/training/index.ts';
import { useStudio } from '../storeContext.tsx';
import { ChartBox, fmt, spreadDomain, spreadStepDomain } from './ChartBox.tsx';
import { useLiveChartData } from './liveChartData.ts';

const SMOOTHING = 0.9;

/** Loss per step: raw (thin, light) and smoothed (bold), downsampled to a few hundred points. */
export function StepLossChart() {
  const steps = useLiveChartData(useStudio((s) => s.training.steps));
  return useMemo(() => <StepLossFigure steps={steps} />, [steps]);
}

function StepLossFigure({ steps }: { steps: StepSeries }) {
  const rows = lossRows(steps, SMOOTHING);
  const first = rows.find((r) => r.smoothed !== null)?.smoothed ?? null;
  const last = rows.length ? rows[rows.length - 1].smoothed : null;
  return (
    <ChartBox
      title="Loss per step"
      testId="chart-step-loss"
      empty={rows.length ? null : 'The loss appears here once training starts.'}
      summary={`Loss over ${steps.step.length} steps, smoothed from ${fmt(first)} to ${fmt(last)}.`}
      data={{ points: steps.step.length, drawn: rows.length, first: first ?? '', last: last ?? '' }}
    >
      <LineChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="step" type="number" allowDecimals={false} domain={spreadStepDomain} label={{ value: 'step', position: 'insideBottomRight', offset: -4 }} />
        <YAxis domain={spreadDomain} tickFormatter={(v: number) => fmt(v)} width={56} />
        <Tooltip formatter={(v) => fmt(v as number)} />
        <Legend />
        <Line dataKey="raw" name="raw" stroke="#99c1f1" dot={false} isAnimationActive={false} connectNulls={false} />
        <Line dataKey="smoothed" name={`smoothed (EMA ${SMOOTHING})`} stroke="#1a5fb4" strokeWidth={3} dot={false} isAnimationActive={false} />
      </LineChart>
    </ChartBox>
  );
}

/** Mean loss per epoch on the training and validation splits. */
export function EpochLossChart() {
  const epochs = useStudio((s) => s.training.epochs);
  const rows = epochRows(epochs);
  return (
    <ChartBox
      title="Loss per epoch"
      testId="chart-epoch-loss"
      empty={rows.length ? null : 'One point per finished epoch.'}
      summary={rows.map((r) => `epoch ${r.epoch}: train ${fmt(r.trainLoss)}, validation ${fmt(r.valLoss)}`).join('; ')}
      data={{ points: rows.length }}
    >
      <LineChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="epoch" allowDecimals={false} />
        <YAxis domain={spreadDomain} tickFormatter={(v: number) => fmt(v)} width={56} />
        <Tooltip formatter={(v) => fmt(v as number)} />
        <Legend />
        <Line dataKey="trainLoss" name="train" stroke="#1a5fb4" strokeWidth={3} isAnimationActive={false} />
        <Line dataKey="valLoss" name="validation" stroke="#c64600" strokeWidth={3} isAnimationActive={false} />
      </LineChart>
    </ChartBox>
  );
}

/** BLEU-1..4 on a validation sample after each epoch. */
export function EpochBleuChart() {
  const epochs = useStudio((s) => s.training.epochs);
  const rows = epochRows(epochs).filter((r) => r.bleu1 !== null);
  return (
    <ChartBox
      title="BLEU per epoch (validation sample)"
      testId="chart-epoch-bleu"
      empty={rows.length ? null : 'BLEU on a validation sample appears after each epoch.'}
      summary={rows.map((r) => `epoch ${r.epoch}: BLEU-1 ${fmt(r.bleu1)}, BLEU-4 ${fmt(r.bleu4)}`).join('; ')}
      data={{ points: rows.length }}
    >
      <LineChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="epoch" allowDecimals={false} />
        <YAxis domain={[0, 'auto']} />
        <Tooltip formatter={(v) => fmt(v as number)} />
        <Legend />
        <Line dataKey="bleu1" name="BLEU-1" stroke="#26a269" isAnimationActive={false} />
        <Line dataKey="bleu2" name="BLEU-2" stroke="#1a5fb4" isAnimationActive={false} />
        <Line dataKey="bleu3" name="BLEU-3" stroke="#9141ac" isAnimationActive={false} />
        <Line dataKey="bleu4" name="BLEU-4" stroke="#c01c28" isAnimationActive={false} />
      </LineChart>
    </ChartBox>
  );
}
