/**
 * StudioSession: runs the work of the Features (features.ts), Training, Evaluation, Playground and Model panels
 * and writes its progress into the store. Holds the non-plain things (feature vectors, trainer, captioner, abort
 * controllers); the store only ever sees numbers, strings and arrays of them.
 */
import type { Protocol } from '../core/data/types.ts';
import type { FeatureIdentity } from '../model/backbones/types.ts';
import { bindTrainer } from './bindTrainer.ts';
import {
  isAbort,
  toStudioError,
  type Capability,
  type DatasetAccess,
  kernelOptionReasons,
  type KernelOptionReasons,
  type StudioEngines,
  type TrainingRun,
} from './ports.ts';
import type { StudioModel } from './model.ts';
import { ScaleOutActions } from './scaleOut.ts';
import type { StudioStore } from '../store/studioStore.ts';
import type { RunPersistence } from './persistence/runStore.ts';
import { evaluateIntoStore } from './evaluate.ts';
import { HeldModel } from './heldModel.ts';
import { FeatureWork } from './features.ts';
import { followDataDefaults } from './trainingDefaults.ts';
import { featureDefaultsFor } from '../store/slices/features.ts';
import { SavedRuns } from './persistence/savedRuns.ts';
import { DeviceLoss, type DeviceChoice } from './deviceLoss.ts';
import { DatasetImageUrls, type HeldImageUrl } from './datasetImageUrls.ts';
import { emptyTrainingSplit, stepsPerEpochOf } from './runContext.ts';

export class StudioSession {
  private readonly features: FeatureWork;
  private readonly unfollowDefaults: () => void;
  private run: TrainingRun | null = null;
  /** The run started last, until it has ended and its model is kept (a move to a worker waits for that). */
  private training: Promise<void> = Promise.resolve();
  /** From a start until its trainer exists (auto's calibration alone takes seconds to tens of seconds). */
  private starting: object | null = null;
  private unbind: (() => void) | null = null;
  private readonly model: HeldModel;
  private readonly savedRuns: SavedRuns;
  private readonly deviceLoss: DeviceLoss;
  private scaleOutActions: ScaleOutActions | null = null;
  private evalAbort: AbortController | null = null;
  private playgroundCount = 0;
  /** Object URLs of dataset images shown in the evaluation grid, per loaded dataset. */
  private readonly imageUrls = new DatasetImageUrls();

  constructor(
    private readonly store: StudioStore,
    private readonly dataset: DatasetAccess,
    private readonly engines: StudioEngines,
    private readonly persistence: RunPersistence | null = null,
  ) {
    this.model = new HeldModel(store, engines);
    this.features = new FeatureWork(store, dataset, engines);
    this.unfollowDefaults = followDataDefaults(store, dataset);
    this.savedRuns = new SavedRuns(store, persistence, this.model, Boolean(engines.importArchive));
    this.deviceLoss = new DeviceLoss({
      store,
      engines,
      trainer: () => this.run?.trainer ?? null,
      endRun: () => this.endRun(),
      resume: () => this.startTraining({ resume: true }),
    });
    // The precision and kernel knobs depend on what the page's backend offers: known once it is chosen.
    engines.describeBackend?.().then(
      (page) => store.getState().setPageBackend(page),
      () => undefined,
    );
  }

  /** Null when available, else why not (shown next to the disabled control). */
  unavailable(capability: Capability): string | null {
    if (capability === 'f16') return this.kernelOptions().mixedFloat16;
    if (capability === 'fusedKernels') return this.kernelOptions().fusedKernels;
    const reason = this.engines.missingReasons?.[capability];
    if (reason) return reason;
    const need: Partial<Record<Capability, unknown>> = {
      extract: this.engines.extract,
      train: this.engines.createTraining,
      evaluate: this.engines.score,
      playground: this.engines.featuresOf,
      importArchive: this.engines.importArchive,
      importNotebook: this.engines.importNotebook,
    };
    if (capability in need && !need[capability]) return 'not part of this build yet';
    return null;
  }

  /** Why each precision/kernel setting is unavailable for the run as configured now (null = available). */
  kernelOptions(): KernelOptionReasons {
    const { training } = this.store.getState();
    const reasons = this.engines.missingReasons ?? {};
    const options = kernelOptionReasons(training.pageBackend, training.config, training.placement, reasons.workerKernels ?? null);
    const fusedKernels = reasons.fusedKernels ?? options.fusedKernels;
    const mixedFloat16 = reasons.f16 ?? options.mixedFloat16;
    return { fusedKernels, mixedFloat16, lossScale: reasons.f16 ?? options.lossScale };
  }

  get hasFeatures(): boolean {
    return this.features.current() !== null;
  }

  // ---- Features -------------------------------------------------------------------------------------------

  extractFeatures(weightsFiles: File[] = []): Promise<void> {
    return this.features.extract(weightsFiles);
  }

  /** After a reload: the cached features of `identity` for the dataset loaded again (features.ts). */
  restoreCachedFeatures(identity: FeatureIdentity): Promise<void> {
    return this.features.restoreCached(identity);
  }

  abortExtraction(): void {
    this.features.abort();
  }

  /** Reads how much the page's storage holds into the Features panel. */
  refreshStorage(): Promise<void> {
    return this.features.refreshStorage();
  }

  /** Deletes the feature cache (a full storage's way out); features of this page's last extraction stay in memory. */
  clearFeatureCache(): Promise<void> {
    return this.features.clearCache();
  }

  get hasModel(): boolean {
    return this.model.captioner !== null;
  }



  // ---- Training -------------------------------------------------------------------------------------------

  /**
   * Starts a run; with `resume`, continues from the last checkpoint (weights, optimizer, position) and keeps
   * the charts drawn so far (also those restored after a reload).
   */
  startTraining(options: { resume?: boolean } = {}): Promise<void> {
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
    const t = this.store.getState().training;
    if (t.placement !== 'page' || t.config.replicas > 1 || !t.lastCheckpoint) return;
    await this.endRun();
    this.store.getState().setTrainingPlacement('worker');
    await this.startTraining({ resume: true });
  }

  /** After a lost GPU device: the run goes on from where it waits, on a new GPU device or on wasm. */
  continueAfterDeviceLoss(choice: DeviceChoice): Promise<void> {
    return this.deviceLoss.continueOn(choice);
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
    const s = this.store.getState();
    const config = s.training.config;
    const corpus = this.dataset.corpus(config.protocol);
    const extraction = this.features.current();
    // An empty training split is the cause to name, before (and instead of) missing features.
    const emptyTrain = emptyTrainingSplit(this.dataset, config.protocol);
    if (emptyTrain) {
      s.setTrainingError({ name: 'NotReady', message: emptyTrain });
      return;
    }
    if (!extraction || !corpus) {
      s.setTrainingError({ name: 'NotReady', message: !corpus ? 'Load a dataset first (Dataset tab).' : 'Extract the image features of this dataset first (Features tab).' });
      return;
    }
    if (!this.engines.createTraining) return;
    await this.disposeRun();
    // Continuing: the trainer takes the steps after the checkpoint again, so the charts go back to it.
    if (options.resume) this.store.getState().cutToCheckpoint();
    else s.resetTrainingRun();
    if (options.resume) s.setTrainingError(null);
    // A continued run keeps its id (the checkpoint is its own); a fresh one gets a new id and a clean slate.
    const runId = options.resume ? (this.store.getState().training.runId ?? Date.now().toString(36)) : Date.now().toString(36);
    if (!options.resume) await this.savedRuns.startRun();
    s.setRunContext({ dataset: s.datasetSource?.name ?? null, stepsPerEpoch: stepsPerEpochOf(corpus, extraction.features, config.batchSize), runId });
    try {
      const meta = extraction.identity ? { features: extraction.identity } : undefined;
      const run = await this.engines.createTraining({ config, corpus, features: extraction.features, featureDim: extraction.featureDim, placement: s.training.placement, meta });
      this.run = run;
      started();
      if (run.initialEvents?.length) this.store.getState().applyTrainerEvents(run.initialEvents);
      this.unbind = bindTrainer(run.trainer, () => this.store.getState());
      await run.trainer.start({ resume: options.resume });
      this.unbind?.();
      this.unbind = null;
      if (this.deviceLoss.settle() || run.trainer.state === 'failed') return;
      let captioner: StudioModel;
      try {
        captioner = await run.model();
      } catch (error) {
        // The run itself went fine (e.g. stopped before its first checkpoint): only the model is missing.
        this.store.getState().updateModel({ error: toStudioError(error, 'Keeping the trained model') });
        return;
      }
      this.model.adopt(captioner, 'trained', extraction.identity ?? null);
      await this.savedRuns.save();
    } catch (error) {
      this.unbind?.();
      this.unbind = null;
      if (this.deviceLoss.settle()) return;
      const e = toStudioError(error, 'Training');
      this.store.getState().setTrainingError({ name: 'TrainingError', message: e.message, stack: e.detail });
      this.store.getState().applyTrainerEvents([{ type: 'stateChanged', state: 'failed' }]);
    }
  }

  /**
   * The Playground's one click when there is no model: the demo dataset, its features from the demo CNN, and a
   * run with the default settings, watched in the Training panel.
   */
  async trainDemoModel(): Promise<void> {
    if (this.store.getState().datasetSource?.kind !== 'demo' || this.store.getState().datasetStatus !== 'ready') await this.store.getState().loadDemo();
    const demoFeatures = featureDefaultsFor('demo');
    const { backbone, weights } = this.store.getState().features;
    if (backbone !== demoFeatures.backbone || weights !== demoFeatures.weights) this.store.getState().setFeatureOptions(demoFeatures);
    this.store.getState().setActivePanel('training');
    if (this.features.current()?.identity?.backbone !== 'demo') await this.features.extract();
    // A failed extraction says why in the Features panel; training then says what is missing.
    await this.startTraining();
  }

  pauseTraining(): void {
    this.run?.trainer.pause();
  }

  resumeTraining(): void {
    this.run?.trainer.resume();
  }

  async stopTraining(): Promise<void> {
    await this.run?.trainer.stop();
  }

  private async disposeRun(): Promise<void> {
    this.unbind?.();
    this.unbind = null;
    const run = this.run;
    this.run = null;
    if (run) await run.trainer.dispose();
  }

  // ---- Evaluation -----------------------------------------------------------------------------------------

  /** Greedy captions of the test split, BLEU-1..4 under each protocol's references (limit: images per protocol). */
  async evaluate(protocols: Protocol[] = ['kaggle', 'standard'], limit = 200): Promise<void> {
    const s = this.store.getState();
    const captioner = this.model.captioner;
    const score = this.engines.score;
    if (!captioner || !score) {
      s.updateEvaluation({ status: 'failed', error: { message: captioner ? 'Evaluation is not part of this build yet.' : 'Train a model or import one first.' } });
      return;
    }
    this.evalAbort?.abort();
    const abort = new AbortController();
    this.evalAbort = abort;
    try {
      const extraction = this.features.current();
      const refusal = extraction ? this.model.refusal(extraction.featureDim, extraction.identity) : null;
      if (refusal) throw Object.assign(new Error(refusal), { name: 'NotReady' });
      await evaluateIntoStore({
        store: this.store,
        corpusOf: (p) => this.dataset.corpus(p),
        protocols,
        limit,
        captioner: captioner.captioner,
        score,
        features: extraction?.features ?? new Map<string, Float32Array>(),
        signal: abort.signal,
      });
    } catch (error) {
      // Cancelled only when the user cancelled it (another AbortError is a failure to show).
      const cancelled = abort.signal.aborted && isAbort(error);
      this.store.getState().updateEvaluation(cancelled ? { status: 'cancelled' } : { status: 'failed', error: toStudioError(error, 'Evaluation') });
    } finally {
      if (this.evalAbort === abort) this.evalAbort = null;
    }
  }

  /**
   * An object URL for a dataset image, held until released (revoked when its last holder lets go); its url is
   * null where the folder lacks the image or there are no object URLs.
   */
  holdImageUrl(name: string): HeldImageUrl {
    return this.imageUrls.hold(this.dataset.loaded(), name);
  }

  cancelEvaluation(): void {
    this.evalAbort?.abort();
  }

  // ---- Playground -----------------------------------------------------------------------------------------

  async captionImages(images: { name: string; bytes: Uint8Array; imageUrl: string | null }[]): Promise<void> {
    const s = this.store.getState();
    const items = images.map((im) => ({ id: `img-${++this.playgroundCount}`, name: im.name, imageUrl: im.imageUrl }));
    s.addPlaygroundItems(items);
    const captioner = this.model.captioner;
    for (let i = 0; i < items.length; i++) {
      const id = items[i].id;
      const update = (patch: Parameters<typeof s.updatePlaygroundItem>[1]) => this.store.getState().updatePlaygroundItem(id, patch);
      if (!captioner || !this.engines.featuresOf) {
        update({ status: 'failed', error: { message: captioner ? 'Captioning new images is not part of this build yet.' : 'Train a model or import one first (Training or Model tab).' } });
        continue;
      }
      try {
        update({ status: 'captioning' });
        const [features] = await this.engines.featuresOf([images[i]], this.features.request());
        const held = this.store.getState().features.identity;
        const refusal = this.model.refusal(features.length, held?.featureDim === features.length ? held : undefined);
        if (refusal) throw Object.assign(new Error(refusal), { name: 'NotReady' });
        const { decoding, beamWidth, topK } = this.store.getState().playground;
        const result = await captioner.caption(features, {
          mode: decoding,
          beamWidth,
          topK,
          onStep: (step) => this.store.getState().appendCaptionStep(id, step),
        });
        update({ status: 'done', caption: result.caption, steps: result.steps });
      } catch (error) {
        update({ status: 'failed', error: toStudioError(error, `Captioning ${images[i].name}`) });
      }
    }
  }

  // ---- Model ----------------------------------------------------------------------------------------------

  /** The Model panel's PyTorch DDP export and import (src/engine/scaleOut, src/studio/scaleOut.ts). */
  get scaleOut(): ScaleOutActions {
    return (this.scaleOutActions ??= new ScaleOutActions({
      store: this.store,
      corpus: () => this.dataset.corpus(this.store.getState().training.config.protocol),
      features: () => this.features.current()?.features ?? null,
      importArchive: this.engines.importArchive ? (bytes, fileName) => this.engines.importArchive!(bytes, fileName) : null,
      adopt: async (model) => this.model.adopt(model, 'archive', null),
    }));
  }

  exportModel(): Promise<{ fileName: string; bytes: Uint8Array } | null> {
    return this.model.exportArchive();
  }

  importArchive(file: { name: string; bytes: Uint8Array }): Promise<void> {
    return this.model.importArchive(file);
  }

  importNotebook(files: File[]): Promise<void> {
    return this.model.importNotebook(files);
  }

  // ---- Runs that survive a reload -------------------------------------------------------------------------

  /** After a reload: the run's charts and, if the build can import archives, the model come back. */
  restoreLastRun(): Promise<boolean> {
    return this.savedRuns.restore();
  }

  async dispose(): Promise<void> {
    this.features.dispose();
    this.unfollowDefaults();
    this.evalAbort?.abort();
    await this.disposeRun();
    this.model.dispose();
    this.savedRuns.dispose();
    this.deviceLoss.dispose();
    this.imageUrls.clear();
  }
}
