import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import type { DatasetStats } from '../../core/stats.ts';
import { CHART, ChartCard, thousands } from './ChartCard.tsx';

export function CaptionLengthChart({ stats }: { stats: DatasetStats }) {
  const { captionLength } = stats;
  // Bins below the shortest caption are all empty: leave them out so the shape fills the chart.
  const bins = captionLength.histogram.filter((bin) => bin.words >= captionLength.min);
  return (
    <ChartCard
      id="caption-length"
      title="Caption length"
      note={`Words per cleaned caption, markers excluded: median ${captionLength.median}, mean ${captionLength.mean.toFixed(1)}, max ${captionLength.max}.`}
    >
      <BarChart data={bins} margin={{ top: 8, right: 12, bottom: 20, left: 8 }}>
        <CartesianGrid stroke={CHART.grid} vertical={false} />
        <XAxis dataKey="words" tick={CHART.tick} label={{ value: 'words', position: 'insideBottom', offset: -12, fill: CHART.ink }} />
        <YAxis tick={CHART.tick} tickFormatter={thousands} width={64} />
        <Tooltip formatter={(value) => [thousands(Number(value)), 'captions']} labelFormatter={(words) => `${words} words`} />
        <Bar dataKey="captions" fill={CHART.bar} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

export function SplitSizesChart({ stats }: { stats: DatasetStats }) {
  const data = (['train', 'val', 'test'] as const).map((split) => ({
    split,
    images: stats.splits[split],
  }));
  return (
    <ChartCard
      id="splits"
      title="Split sizes"
      note={`Images per split under the ${stats.protocol} protocol; captions: train ${thousands(stats.splitCaptions.train)} · val ${thousands(stats.splitCaptions.val)} · test ${thousands(stats.splitCaptions.test)}.`}
    >
      <BarChart data={data} margin={{ top: 28, right: 12, bottom: 8, left: 8 }}>
        <CartesianGrid stroke={CHART.grid} vertical={false} />
        <XAxis dataKey="split" tick={CHART.tick} />
        <YAxis tick={CHART.tick} tickFormatter={thousands} width={64} />
        <Tooltip formatter={(value) => [thousands(Number(value)), 'images']} />
        <Bar dataKey="images" fill={CHART.bar} isAnimationActive={false} label={{ position: 'top', fill: CHART.ink, fontSize: 15 }} />
      </BarChart>
    </ChartCard>
  );
}

/** The most common image sizes, read from the files' headers (no decoding). */
export function ImageSizesChart({ stats }: { stats: DatasetStats }) {
  const dimensions = stats.imageDimensions;
  const data = (dimensions?.commonSizes ?? []).slice(0, 10).map((size) => ({
    size: `${size.width}×${size.height}`,
    images: size.images,
  }));
  const note = dimensions
    ? `${thousands(dimensions.measured)} images measured from their headers; width ${dimensions.width.min}–${dimensions.width.max}, height ${dimensions.height.min}–${dimensions.height.max} px; ${dimensions.orientation.landscape} landscape, ${dimensions.orientation.portrait} portrait, ${dimensions.orientation.square} square.`
    : 'No image sizes: the folder has no readable images.';
  return (
    <ChartCard id="image-sizes" title="Image sizes (most common)" note={note}>
      <BarChart data={data} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        <CartesianGrid stroke={CHART.grid} horizontal={false} />
        <XAxis type="number" tick={CHART.tick} tickFormatter={thousands} allowDecimals={false} />
        <YAxis type="category" dataKey="size" tick={CHART.tick} width={96} interval={0} />
        <Tooltip formatter={(value) => [thousands(Number(value)), 'images']} />
        <Bar dataKey="images" fill={CHART.bar} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}
