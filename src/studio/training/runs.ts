/**
 * The studio's training run, from Start to its kept model: one run at a time (a second Start while the first
 * is still starting is that same run), pause, resume and stop, a move from the page's thread to a worker, and
 * a lost GPU device's way on. The run's events go into the store (bindTrainer), its model to the held model
 * and, with its charts, to the runs that survive a reload.
 */
import type { StudioStore } from '../../store/studioStore.ts';
import type { HeldModel } from '../heldModel.ts';
import type { StudioModel } from '../model.ts';
import type { SavedRuns } from '../persistence/savedRuns.ts';
import { toStudioError, type DatasetAccess, type ExtractionRun, type StudioEngines, type TrainingRun } from '../ports.ts';
import { bindTrainer } from './bindTrainer.ts';
import { DeviceLoss, type DeviceChoice } from './deviceLoss.ts';
import { emptyTrainingSplit, stepsPerEpochOf } from './runContext.ts';

export interface TrainingRunsPorts {
  store: StudioStore;
  dataset: DatasetAccess;
  engines: StudioEngines;
  /** The features extracted for the dataset loaded now (null: none yet). */
  features(): ExtractionRun | null;
  model: HeldModel;
  savedRuns: SavedRuns;
}

export class TrainingRuns {
  private run: TrainingRun | null = null;
  /** The run started last, until it has ended and its model is kept (a move to a worker waits for that). */
  private training: Promise<void> = Promise.resolve();
  /** From a start until its trainer exists (auto's calibration alone takes seconds to tens of seconds). */
  private starting: object | null = null;
  private unbind: (() => void) | null = null;
  private readonly deviceLoss: DeviceLoss;

  constructor(private readonly ports: TrainingRunsPorts) {
    this.deviceLoss = new DeviceLoss({
      store: ports.store,
      engines: ports.engines,
      trainer: () => this.run?.trainer ?? null,
      endRun: () => this.endRun(),
      resume: () => this.start({ resume: true }),
    });
  }

  /**
   * Starts a run; with `resume`, continues from the last checkpoint (weights, optimizer, position) and keeps
   * the charts drawn so far (also those restored after a reload).
   */
  start(options: { resume?: boolean } = {}): Promise<void> {
    // A second Start while the first is still measuring the backends or building its trainer is the same
    // run, not a second one racing it for the store and the device.
    if (this.starting) return this.training;
    this.deviceLoss.runStarting();
    const start = {};
    this.starting = start;
    const started = () => {
      if (this.starting === start) this.starting = null;
    };
    this.training = this.train(options, started).finally(started);
    return this.training;
  }

  /**
   * A run on the page's thread (slowed by the browser while the tab is hidden) continues in one worker from
   * its last checkpoint: it is stopped, its model kept, and continued there under the same run id.
   */
  async moveToWorker(): Promise<void> {
    const t = this.ports.store.getState().training;
    if (t.placement !== 'page' || t.config.replicas > 1 || !t.lastCheckpoint) return;
    await this.endRun();
    this.ports.store.getState().setTrainingPlacement('worker');
    await this.start({ resume: true });
  }

  /** After a lost GPU device: the run goes on from where it waits, on a new GPU device or on wasm. */
  continueAfterDeviceLoss(choice: DeviceChoice): Promise<void> {
    return this.deviceLoss.continueOn(choice);
  }

  pause(): void {
    this.run?.trainer.pause();
  }

  resume(): void {
    this.run?.trainer.resume();
  }

  async stop(): Promise<void> {
    await this.run?.trainer.stop();
  }

  async dispose(): Promise<void> {
    await this.disposeRun();
    this.deviceLoss.dispose();
  }

  /**
   * Stops the run going, waits until it has ended and its model is kept, and releases its trainer (before
   * the page's backend changes under it, as after a lost device).
   */
  private async endRun(): Promise<void> {
    await this.run?.trainer.stop();
    await this.training;
    await this.disposeRun();
  }

  /** `started` is called once the run's trainer exists (or the start gave up). */
  private async train(options: { resume?: boolean }, started: () => void): Promise<void> {
    const { store, dataset, engines, model, savedRuns } = this.ports;
    const s = store.getState();
    const config = s.training.config;
    const corpus = dataset.corpus(config.protocol);
    const extraction = this.ports.features();
    // An empty training split is the cause to name, before (and instead of) missing features.
    const emptyTrain = emptyTrainingSplit(dataset, config.protocol);
    if (emptyTrain) {
      s.setTrainingError({ name: 'NotReady', message: emptyTrain });
      return;
    }
    if (!extraction || !corpus) {
      s.setTrainingError({ name: 'NotReady', message: !corpus ? 'Load a dataset first (Dataset tab).' : 'Extract the image features of this dataset first (Features tab).' });
      return;
    }
    if (!engines.createTraining) return;
    await this.disposeRun();
    // Continuing: the trainer takes the steps after the checkpoint again, so the charts go back to it.
    if (options.resume) store.getState().cutToCheckpoint();
    else s.resetTrainingRun();
    if (options.resume) s.setTrainingError(null);
    // A continued run keeps its id (the checkpoint is its own); a fresh one gets a new id and a clean slate.
    const runId = options.resume ? (store.getState().training.runId ?? Date.now().toString(36)) : Date.now().toString(36);
    if (!options.resume) await savedRuns.startRun();
    s.setRunContext({ dataset: s.datasetSource?.name ?? null, stepsPerEpoch: stepsPerEpochOf(corpus, extraction.features, config.batchSize), runId });
    try {
      const meta = extraction.identity ? { features: extraction.identity } : undefined;
      const run = await engines.createTraining({ config, corpus, features: extraction.features, featureDim: extraction.featureDim, placement: s.training.placement, meta });
      this.run = run;
      started();
      if (run.initialEvents?.length) store.getState().applyTrainerEvents(run.initialEvents);
      this.unbind = bindTrainer(run.trainer, () => store.getState());
      await run.trainer.start({ resume: options.resume });
      this.unbind?.();
      this.unbind = null;
      if (this.deviceLoss.settle() || run.trainer.state === 'failed') return;
      let captioner: StudioModel;
      try {
        captioner = await run.model();
      } catch (error) {
        // The run itself went fine (e.g. stopped before its first checkpoint): only the model is missing.
        store.getState().updateModel({ error: toStudioError(error, 'Keeping the trained model') });
        return;
      }
      model.adopt(captioner, 'trained', extraction.identity ?? null);
      await savedRuns.save();
    } catch (error) {
      this.unbind?.();
      this.unbind = null;
      if (this.deviceLoss.settle()) return;
      const e = toStudioError(error, 'Training');
      store.getState().setTrainingError({ name: 'TrainingError', message: e.message, stack: e.detail });
      store.getState().applyTrainerEvents([{ type: 'stateChanged', state: 'failed' }]);
    }
  }

  private async disposeRun(): Promise<void> {
    this.unbind?.();
    this.unbind = null;
    const run = this.run;
    this.run = null;
    if (run) await run.trainer.dispose();
  }
}
