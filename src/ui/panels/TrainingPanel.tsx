import { BackendInfo } from '../training/BackendInfo.tsx';
import { BackendSetting } from '../backend/BackendSetting.tsx';
import { DeviceLost } from '../training/DeviceLost.tsx';
import { GanttChart } from '../training/GanttChart.tsx';
import { HiddenPage } from '../training/HiddenPage.tsx';
import { EpochBleuChart, EpochLossChart, StepLossChart } from '../training/LossCharts.tsx';
import { LossScaleChart, ThroughputChart } from '../training/RateCharts.tsx';
import { PageGpuInfo } from '../training/PageGpuInfo.tsx';
import { RunDataset } from '../training/RunDataset.tsx';
import { RunHistory } from '../training/RunHistory.tsx';
import { RunProgress } from '../training/RunProgress.tsx';
import { EpochSamples } from '../training/EpochSamples.tsx';
import { SettingsFold } from '../training/SettingsFold.tsx';
import { TrainingControls } from '../training/TrainingControls.tsx';
import { TrainingSettings } from '../training/TrainingSettings.tsx';
import '../panelKit/panels.css';

/** Settings (folded while a run goes), controls and progress, then the live charts, then earlier runs. */
export function TrainingPanel() {
  return (
    <section className="panel sp-panel" aria-labelledby="panel-title-training">
      <h2 id="panel-title-training">Training</h2>
      <PageGpuInfo />
      <SettingsFold>
        {/* A setting of the run: it folds away with the others while the run goes, so the charts stay in view. */}
        <BackendSetting kind="training" />
        <TrainingSettings />
      </SettingsFold>
      <TrainingControls />
      <DeviceLost />
      <RunProgress />
      <EpochSamples />
      <HiddenPage />
      {/* The charts come right under the run's progress and sample captions, in view while it goes; what the run
          got (backend, kernels) and which dataset the charts are of follow them. */}
      <div className="sp-grid2" data-testid="training-charts">
        <StepLossChart />
        <EpochLossChart />
        <ThroughputChart />
        <EpochBleuChart />
        <LossScaleChart />
        <GanttChart />
      </div>
      <RunDataset />
      <BackendInfo />
      <RunHistory />
    </section>
  );
}
