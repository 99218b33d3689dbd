import { Bar, BarChart, CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { DatasetStats } from '../../core/stats.ts';
import { CHART, ChartCard, percent, thousands } from './ChartCard.tsx';

/** Words shown in the top-words chart: more would not be readable on a projector. */
const TOP_WORDS_SHOWN = 15;

export function TopWordsChart({ stats }: { stats: DatasetStats }) {
  const data = stats.topWords.slice(0, TOP_WORDS_SHOWN);
  return (
    <ChartCard
      id="top-words"
      title={`Top ${data.length} words`}
      heightPx={400}
      note={`${thousands(stats.tokens)} word tokens, ${thousands(stats.distinctWords)} distinct words (markers excluded).`}
    >
      <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke={CHART.grid} horizontal={false} />
        <XAxis type="number" tick={CHART.tick} tickFormatter={thousands} />
        <YAxis type="category" dataKey="word" tick={CHART.tick} width={96} interval={0} />
        <Tooltip formatter={(value) => [thousands(Number(value)), 'occurrences']} />
        <Bar dataKey="count" fill={CHART.bar} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

/** Powers of ten within [min, max], for log-axis ticks that read as 1, 10, 100, … */
function decadeTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let value = 1; value <= max * 1.0001; value *= 10) if (value >= min / 1.0001) ticks.push(value);
  return ticks.length > 0 ? ticks : [min, max];
}

export function ZipfChart({ stats }: { stats: DatasetStats }) {
  const data = stats.zipf;
  const lastRank = data.at(-1)?.rank ?? 1;
  const maxCount = data[0]?.count ?? 1;
  return (
    <ChartCard
      id="zipf"
      title="Zipf plot (log–log)"
      note="Word frequency against frequency rank, both axes logarithmic: natural language falls near a straight line."
    >
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 20, left: 8 }}>
        <CartesianGrid stroke={CHART.grid} />
        <XAxis
          dataKey="rank"
          type="number"
          scale="log"
          domain={[1, Math.max(10, lastRank)]}
          ticks={decadeTicks(1, Math.max(10, lastRank))}
          tickFormatter={thousands}
          tick={CHART.tick}
          allowDataOverflow
          label={{ value: 'rank', position: 'insideBottom', offset: -12, fill: CHART.ink }}
        />
        <YAxis
          dataKey="count"
          type="number"
          scale="log"
          domain={[1, Math.max(10, maxCount)]}
          ticks={decadeTicks(1, Math.max(10, maxCount))}
          tickFormatter={thousands}
          tick={CHART.tick}
          width={64}
          allowDataOverflow
        />
        <Tooltip formatter={(value) => [thousands(Number(value)), 'occurrences']} labelFormatter={(rank) => `rank ${rank}`} />
        <Line dataKey="count" stroke={CHART.bar} strokeWidth={3} dot={false} isAnimationActive={false} />
      </LineChart>
    </ChartCard>
  );
}

/**
 * Bars of "share of tokens covered by the top K words". K at or past the vocabulary size all read 100%, so
 * only smaller K are shown, plus one bar for the whole vocabulary. A small vocabulary (the demo's ~50 words)
 * has no K below it in the core's list; its Zipf data then holds every rank, so coverage at small K is
 * summed from there exactly.
 */
function coverageBars(stats: DatasetStats): { label: string; share: number }[] {
  const all = { label: `all ${thousands(stats.distinctWords)}`, share: stats.tokens > 0 ? 100 : 0 };
  const below = stats.coverage.filter((point) => point.topK < stats.distinctWords);
  if (below.length > 0) return [...below.map((point) => ({ label: `top ${thousands(point.topK)}`, share: point.share * 100 })), all];
  const zipfIsComplete = stats.zipf.length === stats.distinctWords && stats.tokens > 0;
  if (!zipfIsComplete) return [all];
  const bars: { label: string; share: number }[] = [];
  let covered = 0;
  for (const [index, point] of stats.zipf.entries()) {
    covered += point.count;
    const k = index + 1;
    if ([5, 10, 20, 40, 80, 160].includes(k) && k < stats.distinctWords) {
      bars.push({ label: `top ${k}`, share: (covered / stats.tokens) * 100 });
    }
  }
  return [...bars, all];
}

export function CoverageChart({ stats }: { stats: DatasetStats }) {
  const data = coverageBars(stats);
  const rare = stats.rareWords.find((entry) => entry.maxCount === 1);
  return (
    <ChartCard
      id="coverage"
      title="Vocabulary coverage"
      note={
        rare
          ? `Share of all word tokens covered by the K most frequent words. ${thousands(rare.words)} words (${percent(rare.share)} of the vocabulary) occur only once.`
          : 'Share of all word tokens covered by the K most frequent words.'
      }
    >
      <BarChart data={data} margin={{ top: 8, right: 12, bottom: 8, left: 8 }}>
        <CartesianGrid stroke={CHART.grid} vertical={false} />
        <XAxis dataKey="label" tick={CHART.tick} interval={0} />
        <YAxis tick={CHART.tick} domain={[0, 100]} unit="%" width={64} />
        <Tooltip formatter={(value) => [`${Number(value).toFixed(1)}%`, 'tokens covered']} />
        <Bar dataKey="share" fill={CHART.bar} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}
