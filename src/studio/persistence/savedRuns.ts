/**
 * Runs that survive a reload. The run going now is written at each of its checkpoints (settings, charts up
 * to that step, the checkpoint), so a reload in the middle of it offers exactly that run's latest checkpoint;
 * when a run ends, it is written with how it ended and its model (the archive, so the model comes back with
 * the id its results name), and the in-progress record is cleared.
 */
import { stepsUpTo, type TrainingData } from '../../store/slices/training/index.ts';
import type { StudioStore } from '../../store/studioStore.ts';
import type { HeldModel } from '../heldModel.ts';
import { toStudioError } from '../ports.ts';
import type { RunPersistence, SavedChart } from './runStore.ts';

function chartOf(t: TrainingData): SavedChart {
  const { config, steps, epochs, lastCheckpoint, dataset, placement, runId, startedAtMs, stepsPerEpoch } = t;
  return { config, steps, epochs, lastCheckpoint, dataset, placement, runId, startedAtMs, stepsPerEpoch };
}

/** When a run started, as a person names it ("the run started at 14:03:12"). */
export function runName(chart: Pick<SavedChart, 'startedAtMs'>): string {
  return chart.startedAtMs ? `the run started at ${new Date(chart.startedAtMs).toLocaleTimeString('en-GB')}` : 'the interrupted run';
}

/** The charts of an interrupted run up to its checkpoint: what continuing from it will build on. */
export function upToCheckpoint(chart: SavedChart): SavedChart {
  const step = chart.lastCheckpoint?.step;
  if (step === undefined) return chart;
  return {
    ...chart,
    steps: stepsUpTo(chart.steps, step),
    epochs: chart.epochs.filter((e) => e.epoch <= (chart.lastCheckpoint as { epoch: number }).epoch),
  };
}

export class SavedRuns {
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: StudioStore,
    private readonly persistence: RunPersistence | null,
    private readonly model: HeldModel,
    private readonly canImport: boolean,
  ) {
    // Each checkpoint of the run going now is written down with the charts up to it.
    this.unsubscribe = store.subscribe((state, prev) => {
      const t = state.training;
      if (t.lastCheckpoint !== prev.training.lastCheckpoint && t.lastCheckpoint && (t.state === 'running' || t.state === 'paused') && this.persistence) {
        const { runId } = t;
        const { step } = t.lastCheckpoint;
        // Once written, the page says so: a reload from now on continues from this step.
        this.persistence.saveCurrent(chartOf(t)).then(
          () => this.store.getState().markKeptForReload(runId, step),
          () => undefined,
        );
      }
    });
  }

  /** A fresh run starts: the previous run's in-progress record no longer has a checkpoint behind it. */
  async startRun(): Promise<void> {
    await this.persistence?.clearCurrent().catch(() => undefined);
  }

  /** Saves the run that just ended with the model held, and clears the in-progress record. */
  async save(): Promise<void> {
    const captioner = this.model.captioner;
    if (!this.persistence || !captioner) return;
    const t = this.store.getState().training;
    try {
      const archive = await captioner.exportArchive();
      const modelId = this.store.getState().model.info?.id;
      const summary = { modelId, savedAtMs: Date.now(), epoch: t.epochs.length, steps: t.steps.step.length, label: captioner.info.label };
      const ended = t.state === 'finished' ? 'finished' : 'stopped';
      await this.persistence.save({ summary, chart: { ...chartOf(t), ended }, archive });
      await this.persistence.clearCurrent();
      this.store.getState().updateModel({ savedRun: summary });
    } catch (error) {
      this.store.getState().updateModel({ error: toStudioError(error, 'Saving the run for later') });
    }
  }

  /**
   * After a reload: a run interrupted by it comes back at its latest checkpoint, ready to continue; otherwise
   * the last run that ended, reading as it ended. The last ended run's model comes back either way.
   */
  async restore(): Promise<boolean> {
    if (!this.persistence) return false;
    try {
      const [saved, current] = await Promise.all([this.persistence.load(), this.persistence.loadCurrent()]);
      if (!saved && !current) return false;
      const s = this.store.getState();
      if (current?.lastCheckpoint) {
        const { step } = current.lastCheckpoint;
        const { ended: _ended, ...chart } = upToCheckpoint(current);
        s.restoreTrainingRun({ ...chart, state: 'stopped', stateReason: `interrupted by a reload: continue from step ${step} of ${runName(current)}` });
      } else if (saved) {
        const { ended, ...chart } = saved.chart;
        s.restoreTrainingRun({ ...chart, state: ended ?? 'stopped', stateReason: 'restored after a reload' });
      }
      if (saved) {
        s.updateModel({ operation: 'restoring', savedRun: saved.summary });
        if (this.canImport) await this.model.adoptArchive(saved.archive, 'last run', 'trained', saved.summary.modelId);
        this.store.getState().updateModel({ operation: 'idle' });
      }
      return true;
    } catch (error) {
      this.store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Restoring the last run') });
      return false;
    }
  }

  dispose(): void {
    this.unsubscribe();
  }
}
