/**
 * StudioSession: runs the work of the Features (features.ts), Training, Evaluation, Playground and Model panels
 * and writes its progress into the store. Holds the non-plain things (feature vectors, trainer, captioner, abort
 * controllers); the store only ever sees numbers, strings and arrays of them.
 */
import type { Protocol } from '../core/data/types.ts';
import type { FeatureIdentity } from '../model/backbones/types.ts';
import {
  isAbort,
  toStudioError,
  type Capability,
  type DatasetAccess,
  kernelOptionReasons,
  type KernelOptionReasons,
  type StudioEngines,
} from './ports.ts';
import { ScaleOutActions } from './scaleOut.ts';
import type { StudioStore } from '../store/studioStore.ts';
import type { RunPersistence } from './persistence/runStore.ts';
import { evaluateIntoStore } from './evaluate.ts';
import { HeldModel } from './heldModel.ts';
import { FeatureWork } from './features.ts';
import { followDataDefaults } from './training/dataDefaults.ts';
import { featureDefaultsFor } from '../store/slices/features.ts';
import { SavedRuns } from './persistence/savedRuns.ts';
import type { DeviceChoice } from './training/deviceLoss.ts';
import { TrainingRuns } from './training/runs.ts';
import { DatasetImageUrls, type HeldImageUrl } from './datasetImageUrls.ts';

export class StudioSession {
  private readonly features: FeatureWork;
  private readonly unfollowDefaults: () => void;
  private readonly runs: TrainingRuns;
  private readonly model: HeldModel;
  private readonly savedRuns: SavedRuns;
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
    this.runs = new TrainingRuns({ store, dataset, engines, features: () => this.features.current(), model: this.model, savedRuns: this.savedRuns });
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



  // ---- Training (training/runs.ts) ----------------------------------------------------------------------

  /**
   * Starts a run; with `resume`, continues from the last checkpoint (weights, optimizer, position) and keeps
   * the charts drawn so far (also those restored after a reload).
   */
  startTraining(options: { resume?: boolean } = {}): Promise<void> {
    return this.runs.start(options);
  }

  /** A run on the page's thread continues in one worker from its last checkpoint, under the same run id. */
  moveToWorker(): Promise<void> {
    return this.runs.moveToWorker();
  }

  /** After a lost GPU device: the run goes on from where it waits, on a new GPU device or on wasm. */
  continueAfterDeviceLoss(choice: DeviceChoice): Promise<void> {
    return this.runs.continueAfterDeviceLoss(choice);
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
    this.runs.pause();
  }

  resumeTraining(): void {
    this.runs.resume();
  }

  stopTraining(): Promise<void> {
    return this.runs.stop();
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
    await this.runs.dispose();
    this.model.dispose();
    this.savedRuns.dispose();
    this.imageUrls.clear();
  }
}
