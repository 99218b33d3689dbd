import type { DatasetStats } from '../../core/stats.ts';
import { useStudio } from '../storeContext.tsx';
import { CaptionLengthChart, SplitSizesChart, ImageSizesChart } from './countCharts.tsx';
import { TopWordsChart, ZipfChart, CoverageChart } from './wordCharts.tsx';
import { thousands } from './ChartCard.tsx';

function KeyNumbers({ stats }: { stats: DatasetStats }) {
  const items: [string, string][] = [
    ['images', thousands(stats.images)],
    ['captions', thousands(stats.captions)],
    ['captions / image', stats.captionsPerImage.mean.toFixed(1)],
    ['vocabulary (Keras vocab_size)', thousands(stats.vocabSize)],
    ['max length (words, markers incl.)', String(stats.maxLength)],
    ['warnings', thousands(stats.warnings.total)],
  ];
  return (
    <ul className="key-numbers" data-testid="key-numbers">
      {items.map(([label, value]) => (
        <li key={label}>
          <span className="value">{value}</span>
          <span className="label">{label}</span>
        </li>
      ))}
    </ul>
  );
}

/** The loaded dataset's statistics (src/core/stats.ts) as numbers and charts. */
export function DatasetCharts() {
  const stats = useStudio((state) => state.stats);
  if (!stats) return null;
  return (
    <>
      <KeyNumbers stats={stats} />
      <div className="charts">
        <CaptionLengthChart stats={stats} />
        <TopWordsChart stats={stats} />
        <ZipfChart stats={stats} />
        <CoverageChart stats={stats} />
        <SplitSizesChart stats={stats} />
        <ImageSizesChart stats={stats} />
      </div>
    </>
  );
}
