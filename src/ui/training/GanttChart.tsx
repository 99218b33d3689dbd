import { useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, XAxis, YAxis } from 'recharts';
import { timeline, type GanttBar, type GanttPhase } from '../charts/timeline.ts';
import { stepBreakdown } from '../../store/slices/training/stepBreakdown.ts';
import { STEP_TIME_TIPS, stepMs } from './stepTimeWords.ts';
import { useStudio } from '../storeContext.tsx';
import { ChartBox } from './ChartBox.tsx';
import { useLiveChartData } from './liveChartData.ts';
import type { TimelineSegment } from '../../store/slices/training/index.ts';

const COLORS: Record<GanttPhase, string> = {
  compute: '#1a5fb4',
  communication: '#e5a50a',
  validation: '#9141ac',
  idle: '#c0bfbc',
};
const NAMES: Record<GanttPhase, string> = {
  compute: 'compute',
  communication: 'communication (all-reduce)',
  validation: 'validation and BLEU decoding',
  idle: 'idle',
};
const PHASES = ['compute', 'communication', 'validation', 'idle'] as const;

const seconds = (s: number) => (s < 10 ? s.toFixed(2) : s < 100 ? s.toFixed(1) : s.toFixed(0));

interface LaneRow {
  replica: string;
  /** Where the lane's last segment ends (s): the bar recharts places, from 0 to here. */
  spanS: number;
  bars: GanttBar[];
}

interface LaneProps {
  x: number;
  y: number;
  width: number;
  height: number;
  payload: LaneRow;
}

/** A replica's lane: its segments placed within the bar recharts gave the lane (0 .. spanS), each hoverable. */
function Lane({ x, y, width, height, payload }: LaneProps) {
  if (!payload || !(payload.spanS > 0) || !(width > 0)) return null;
  const perS = width / payload.spanS;
  return (
    <g>
      {payload.bars.map((b) => (
        <rect key={`${b.step}-${b.startS}`} x={x + b.startS * perS} y={y} width={Math.max(b.durationS * perS, 0.5)} height={height} fill={COLORS[b.phase]}>
          <title>{`step ${b.step + 1}: ${NAMES[b.phase]}, ${seconds(b.durationS)} s`}</title>
        </rect>
      ))}
    </g>
  );
}

/** Replica timeline of the last steps: compute, communication, validation and idle, all drawn, in seconds. */
export function GanttChart() {
  const segments = useLiveChartData(useStudio((s) => s.training.timeline));
  const stepsPerEpoch = useStudio((s) => s.training.stepsPerEpoch);
  const replicas = useStudio((s) => s.training.config.replicas);
  return useMemo(() => <GanttFigure segments={segments} stepsPerEpoch={stepsPerEpoch} replicas={replicas} />, [segments, stepsPerEpoch, replicas]);
}

function GanttFigure({ segments, stepsPerEpoch, replicas }: { segments: readonly TimelineSegment[]; stepsPerEpoch: number | null; replicas: number }) {
  const t = timeline(segments, { stepsPerEpoch });
  const lanes: LaneRow[] = t.replicas.map((replica) => ({
    replica: `replica ${replica}`,
    spanS: Math.max(0, ...t.bars.filter((b) => b.replica === replica).map((b) => b.startS + b.durationS)),
    bars: t.bars.filter((b) => b.replica === replica),
  }));
  const summary = [...t.shares.entries()]
    .map(([r, s]) => `replica ${r}: ${PHASES.map((k) => `${Math.round(s[k] * 100)}% ${k}`).join(', ')}`)
    .join('; ');
  const first = t.shares.get(t.replicas[0]);
  // The same numbers as the run table's, over the steps kept here (the last timelineKeepSteps).
  const perStep = t.rows.length ? stepBreakdown(segments) : null;
  return (
    <div>
      <ChartBox
        title="Timeline per replica (last steps, seconds)"
        testId="chart-gantt"
        empty={t.rows.length ? null : replicas > 1 ? 'Where each replica spends its time, step by step.' : 'Drawn when training with 2 or more replicas.'}
        summary={summary}
        data={{
          replicas: t.rows.length,
          'span-s': t.spanS.toFixed(3),
          ...(first ? Object.fromEntries(PHASES.map((k) => [`${k}-share`, first[k].toFixed(3)])) : {}),
        }}
      >
        <BarChart data={lanes} layout="vertical" barCategoryGap={6}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" unit=" s" tickFormatter={(v: number) => seconds(v)} />
          <YAxis type="category" dataKey="replica" width={90} />
          {/* One series, each replica's lane drawn whole by its shape: a series per step and phase (60 of them
              for 12 steps) made each redraw cost the page tens of milliseconds while the run went. */}
          <Bar dataKey="spanS" isAnimationActive={false} legendType="none" shape={(props: unknown) => <Lane {...(props as LaneProps)} />} />
        </BarChart>
      </ChartBox>
      {t.rows.length ? (
        <p className="sp-legend" data-testid="gantt-legend">
          {PHASES.map((k) => (
            <span key={k}>
              <span className="sp-bar" style={{ background: COLORS[k], width: '1rem' }} /> {NAMES[k]}
              {first ? ` ${Math.round(first[k] * 100)}%` : ''}{' '}
            </span>
          ))}
        </p>
      ) : null}
      {perStep ? (
        <p
          className="sp-legend"
          data-testid="step-breakdown"
          data-steps={perStep.steps}
          data-compute-ms={perStep.computeMs.toFixed(2)}
          data-allreduce-ms={perStep.allReduceMs?.toFixed(2) ?? ''}
          data-idle-ms={perStep.idleMs?.toFixed(2) ?? ''}
        >
          Per step (median of the last {perStep.steps}): <span title={STEP_TIME_TIPS.compute}>compute {stepMs(perStep.computeMs)} ms</span>
          {perStep.allReduceMs !== null ? (
            <>
              {' · '}
              <span title={STEP_TIME_TIPS.allReduce}>all-reduce {stepMs(perStep.allReduceMs)} ms</span>
              {' · '}
              <span title={STEP_TIME_TIPS.idle}>
                idle {stepMs(perStep.idleMs)} ms ({stepMs(perStep.slowestWaitMs)} ms of it waiting for the slowest replica)
              </span>
            </>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}
