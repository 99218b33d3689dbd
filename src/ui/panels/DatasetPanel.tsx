import { DatasetCharts } from '../charts/DatasetCharts.tsx';
import { DropZone } from '../dataset/DropZone.tsx';
import { SampleStrip } from '../dataset/SampleStrip.tsx';
import { SourceBar } from '../dataset/SourceBar.tsx';
import { ReopenNote } from '../dataset/ReopenNote.tsx';
import { SplitNotices } from '../dataset/SplitNotices.tsx';
import { StatusLine } from '../dataset/StatusLine.tsx';
import { WarningsList } from '../dataset/WarningsList.tsx';
import { useStudio } from '../storeContext.tsx';

export function DatasetPanel() {
  const hasStats = useStudio((state) => state.stats !== null);
  const hasSource = useStudio((state) => state.datasetSource !== null);
  return (
    <DropZone>
      <section className="panel" aria-labelledby="panel-title-dataset">
        <h2 id="panel-title-dataset" className="visually-hidden">
          Dataset
        </h2>
        <SourceBar />
        <StatusLine />
        <ReopenNote />
        <SplitNotices />
        {hasStats ? <DatasetCharts /> : null}
        {hasStats ? <SampleStrip /> : null}
        {hasSource ? <WarningsList /> : null}
      </section>
    </DropZone>
  );
}
