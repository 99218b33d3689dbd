/**
 * The run that survives a reload: its settings, charts and last checkpoint, and its model (the archive, so
 * the model comes back with the id its results name). Written when a run ends; read when the page starts.
 */
import type { StudioStore } from '../store/studioStore';
import type { HeldModel } from './heldModel';
import { toStudioError } from './ports';
import type { RunPersistence } from './runStore';

export class SavedRuns {
  constructor(
    private readonly store: StudioStore,
    private readonly persistence: RunPersistence | null,
    private readonly model: HeldModel,
    private readonly canImport: boolean,
  ) {}

  /** Saves the run in the store with the model held (after a run ends). */
  async save(): Promise<void> {
    const captioner = this.model.captioner;
    if (!this.persistence || !captioner) return;
    const t = this.store.getState().training;
    try {
      const archive = await captioner.exportArchive();
      const modelId = this.store.getState().model.info?.id;
      const summary = { modelId, savedAtMs: Date.now(), epoch: t.epochs.length, steps: t.steps.step.length, label: captioner.info.label };
      const chart = { config: t.config, steps: t.steps, epochs: t.epochs, lastCheckpoint: t.lastCheckpoint, dataset: t.dataset };
      await this.persistence.save({ summary, chart, archive });
      this.store.getState().updateModel({ savedRun: summary });
    } catch (error) {
      this.store.getState().updateModel({ error: toStudioError(error, 'Saving the run for later') });
    }
  }

  /** After a reload: the run's charts and, if the build can import archives, the model come back. */
  async restore(): Promise<boolean> {
    if (!this.persistence) return false;
    try {
      const saved = await this.persistence.load();
      if (!saved) return false;
      this.store.getState().updateModel({ operation: 'restoring', savedRun: saved.summary });
      this.store.getState().restoreTrainingRun(saved.chart);
      if (this.canImport) await this.model.adoptArchive(saved.archive, 'last run', 'trained', saved.summary.modelId);
      this.store.getState().updateModel({ operation: 'idle' });
      return true;
    } catch (error) {
      this.store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Restoring the last run') });
      return false;
    }
  }
}
