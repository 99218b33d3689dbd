import { BackendInfo } from '../training/BackendInfo.tsx';
import { GanttChart } from '../training/GanttChart.tsx';
import { EpochBleuChart, EpochLossChart, StepLossChart } from '../training/LossCharts.tsx';
import { LossScaleChart, ThroughputChart } from '../training/RateCharts.tsx';
import { PageGpuInfo } from '../training/PageGpuInfo.tsx';
import { RunDataset } from '../training/RunDataset.tsx';
import { RunHistory } from '../training/RunHistory.tsx';
import { TrainingControls } from '../training/TrainingControls.tsx';
import { TrainingSettings } from '../training/TrainingSettings.tsx';
import '../panelKit/panels.css';

export function TrainingPanel() {
  return (
    <section className="panel sp-panel" aria-labelledby="panel-title-training">
      <h2 id="panel-title-training">Training</h2>
      <PageGpuInfo />
      <TrainingSettings />
      <TrainingControls />
      <BackendInfo />
      <RunHistory />
      <RunDataset />
      <div className="sp-grid2">
        <StepLossChart />
        <EpochLossChart />
        <ThroughputChart />
        <EpochBleuChart />
        <LossScaleChart />
        <GanttChart />
      </div>
    </section>
  );
}
