/**
 * StudioSession: runs the work of the Features, Training, Evaluation, Playground and Model panels and writes
 * its progress into the store. Holds the non-plain things (feature vectors, trainer, model, abort
 * controllers); the store only ever sees numbers, strings and arrays of them.
 */
import type { Protocol } from '../core/data/types.ts';
import { bindTrainer } from './bindTrainer.ts';
import {
  isAbort,
  type BackboneRequest,
  toStudioError,
  type Capability,
  type DatasetAccess,
  type ExtractionRun,
  kernelOptionReasons,
  type KernelOptionReasons,
  type StudioEngines,
  type TrainingRun,
} from './ports.ts';
import type { StudioStore } from '../store/studioStore.ts';
import type { RunPersistence } from './runStore.ts';
import { evaluatePlans } from './evaluate.ts';
import { DatasetImageUrls } from './datasetImageUrls.ts';
import type { StudioModel } from './model.ts';

export class StudioSession {
  private extraction: ExtractionRun | null = null;
  /** The dataset the features were extracted from (identity of the loaded dataset object). */
  private extractionOf: unknown = null;
  private extractAbort: AbortController | null = null;
  private run: TrainingRun | null = null;
  private unbind: (() => void) | null = null;
  private model: StudioModel | null = null;
  private evalAbort: AbortController | null = null;
  private playgroundCount = 0;
  private weightsFiles: File[] = [];
  /** Object URLs of dataset images shown in the evaluation grid, per loaded dataset. */
  private readonly imageUrls = new DatasetImageUrls();

  constructor(
    private readonly store: StudioStore,
    private readonly dataset: DatasetAccess,
    private readonly engines: StudioEngines,
    private readonly persistence: RunPersistence | null = null,
  ) {
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
    return this.currentExtraction() !== null;
  }

  /**
   * The features of the dataset loaded now; null (and the Features panel reset) when another dataset was
   * loaded since the extraction, whose features do not fit it.
   */
  private currentExtraction(): ExtractionRun | null {
    if (!this.extraction) return null;
    if (this.extractionOf !== this.dataset.loaded()?.dataset) {
      this.extraction = null;
      this.extractionOf = null;
      this.store.getState().updateExtraction({ status: 'idle', done: 0, total: 0, fromCache: 0, cached: null, etaMs: null, imagesPerSecond: null });
      return null;
    }
    return this.extraction;
  }

  get hasModel(): boolean {
    return this.model !== null;
  }

  // ---- Features -------------------------------------------------------------------------------------------

  async extractFeatures(weightsFiles: File[] = []): Promise<void> {
    const s = this.store.getState();
    const loaded = this.dataset.loaded();
    if (!loaded) {
      s.updateExtraction({ status: 'failed', error: { message: 'Load a dataset first (Dataset tab), then extract its features.' } });
      return;
    }
    if (!this.engines.extract) return;
    this.extractAbort?.abort();
    const abort = new AbortController();
    this.extractAbort = abort;
    this.weightsFiles = weightsFiles;
    const images = loaded.dataset.images
      .filter((image) => image.file !== null)
      .map((image) => ({ name: image.name, read: () => loaded.folder.read(image.file as string) }));
    s.updateExtraction({ status: 'loading-weights', done: 0, total: images.length, fromCache: 0, error: null, imagesPerSecond: null, etaMs: null });
    try {
      const run = await this.engines.extract({
        ...this.backboneRequest(),
        images,
        signal: abort.signal,
        onStatus: (status) => this.store.getState().updateExtraction({ status }),
        onProgress: (p) => this.store.getState().reportExtractionProgress({ done: p.done, total: p.total, fromCache: p.cached, elapsedMs: p.elapsedMs }),
      });
      this.extraction = run;
      this.extractionOf = loaded.dataset;
      this.store.getState().updateExtraction({
        status: 'done',
        featureDim: run.featureDim,
        weightsLabel: run.weightsLabel,
        cached: run.features.size,
        etaMs: 0,
        error: run.skipped.length
          ? { message: `${run.skipped.length} image(s) could not be read and were left out.`, detail: run.skipped.map((x) => `${x.name}: ${x.reason}`).join('\n') }
          : null,
      });
    } catch (error) {
      this.store.getState().updateExtraction(
        isAbort(error) ? { status: 'aborted', etaMs: null } : { status: 'failed', error: toStudioError(error, 'Feature extraction') },
      );
    } finally {
      if (this.extractAbort === abort) this.extractAbort = null;
    }
  }

  private backboneRequest(): BackboneRequest {
    const { backbone, weights, weightsUrl } = this.store.getState().features;
    return {
      backbone,
      weights: weights === 'url' ? { kind: 'url', url: weightsUrl } : weights === 'files' ? { kind: 'files', files: this.weightsFiles } : { kind: 'random' },
    };
  }

  abortExtraction(): void {
    this.extractAbort?.abort();
  }

  // ---- Training -------------------------------------------------------------------------------------------

  /**
   * Starts a run; with `resume`, continues from the last checkpoint (weights, optimizer, position) and keeps
   * the charts drawn so far (also those restored after a reload).
   */
  async startTraining(options: { resume?: boolean } = {}): Promise<void> {
    const s = this.store.getState();
    const config = s.training.config;
    const corpus = this.dataset.corpus(config.protocol);
    const extraction = this.currentExtraction();
    if (!extraction || !corpus) {
      s.setTrainingError({ name: 'NotReady', message: !corpus ? 'Load a dataset first (Dataset tab).' : 'Extract the image features of this dataset first (Features tab).' });
      return;
    }
    if (!this.engines.createTraining) return;
    await this.disposeRun();
    if (options.resume) this.store.getState().applyTrainerEvents([]);
    else s.resetTrainingRun();
    if (options.resume) s.setTrainingError(null);
    try {
      const run = await this.engines.createTraining({ config, corpus, features: extraction.features, featureDim: extraction.featureDim, placement: s.training.placement });
      this.run = run;
      if (run.initialEvents?.length) this.store.getState().applyTrainerEvents(run.initialEvents);
      this.unbind = bindTrainer(run.trainer, () => this.store.getState());
      // A failed run reported itself (runFailed: the Training panel words it); anything else is ours to report.
      await run.trainer.start({ resume: options.resume }).catch((error: unknown) => {
        if (run.trainer.state !== 'failed') throw error;
      });
      this.unbind?.();
      this.unbind = null;
      if (run.trainer.state === 'failed') return;
      let model: StudioModel;
      try {
        model = await run.model();
      } catch (error) {
        // The run itself went fine (e.g. stopped before its first checkpoint): only the model is missing.
        this.store.getState().updateModel({ error: toStudioError(error, 'Keeping the trained model') });
        return;
      }
      await this.adoptModel(model, { source: 'trained' });
      await this.saveRun();
    } catch (error) {
      this.unbind?.();
      this.unbind = null;
      const e = toStudioError(error, 'Training');
      this.store.getState().setTrainingError({ name: 'TrainingError', message: e.message, stack: e.detail });
      this.store.getState().applyTrainerEvents([{ type: 'stateChanged', state: 'failed' }]);
    }
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

  private async adoptModel(model: StudioModel, extra: { source: 'trained' | 'archive' | 'notebook' }): Promise<void> {
    if (this.model && this.model !== model) this.model.dispose();
    this.model = model;
    this.store.getState().updateModel({ info: { ...model.info, source: extra.source }, error: null });
  }

  // ---- Evaluation -----------------------------------------------------------------------------------------

  /** Greedy captions of the test split, BLEU-1..4 under each protocol's references (limit: images per protocol). */
  async evaluate(protocols: Protocol[] = ['kaggle', 'standard'], limit = 200): Promise<void> {
    const s = this.store.getState();
    const model = this.model;
    const score = this.engines.score;
    if (!model || !score) {
      s.updateEvaluation({ status: 'failed', error: { message: model ? 'Evaluation is not part of this build yet.' : 'Train a model or import one first.' } });
      return;
    }
    this.evalAbort?.abort();
    const abort = new AbortController();
    this.evalAbort = abort;
    try {
      const features = this.currentExtraction()?.features;
      const plans = protocols.flatMap((protocol) => {
        const corpus = this.dataset.corpus(protocol);
        if (!corpus || !features) return [];
        const images = corpus.images.filter((im) => im.split === 'test' && features.has(im.name)).slice(0, limit);
        return images.length ? [{ protocol, corpus, images }] : [];
      });
      const total = plans.reduce((n, p) => n + p.images.length, 0);
      if (total === 0) throw Object.assign(new Error('No test images with features: extract the features of the dataset first.'), { name: 'NotReady' });
      s.updateEvaluation({ status: 'running', done: 0, total, error: null });
      const done = await evaluatePlans({
        plans,
        captioner: model.captioner,
        score,
        features: features!,
        signal: abort.signal,
        onProgress: (n) => this.store.getState().updateEvaluation({ done: n }),
        onResult: (result) => this.store.getState().setProtocolResult(result),
      });
      this.store.getState().updateEvaluation({ status: 'done', done });
    } catch (error) {
      this.store.getState().updateEvaluation(isAbort(error) ? { status: 'cancelled' } : { status: 'failed', error: toStudioError(error, 'Evaluation') });
    } finally {
      if (this.evalAbort === abort) this.evalAbort = null;
    }
  }

  /** An object URL for a dataset image (null where the folder lacks it or there are no object URLs). */
  imageUrl(name: string): Promise<string | null> {
    return this.imageUrls.urlOf(this.dataset.loaded(), name);
  }

  cancelEvaluation(): void {
    this.evalAbort?.abort();
  }

  // ---- Playground -----------------------------------------------------------------------------------------

  async captionImages(images: { name: string; bytes: Uint8Array; imageUrl: string | null }[]): Promise<void> {
    const s = this.store.getState();
    const items = images.map((im) => ({ id: `img-${++this.playgroundCount}`, name: im.name, imageUrl: im.imageUrl }));
    s.addPlaygroundItems(items);
    const model = this.model;
    for (let i = 0; i < items.length; i++) {
      const id = items[i].id;
      const update = (patch: Parameters<typeof s.updatePlaygroundItem>[1]) => this.store.getState().updatePlaygroundItem(id, patch);
      if (!model || !this.engines.featuresOf) {
        update({ status: 'failed', error: { message: model ? 'Captioning new images is not part of this build yet.' : 'Train a model or import one first (Training or Model tab).' } });
        continue;
      }
      try {
        update({ status: 'captioning' });
        const [features] = await this.engines.featuresOf([images[i]], this.backboneRequest());
        const { decoding, beamWidth, topK } = this.store.getState().playground;
        const result = await model.caption(features, {
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

  async exportModel(): Promise<{ fileName: string; bytes: Uint8Array } | null> {
    const s = this.store.getState();
    if (!this.model) {
      s.updateModel({ error: { message: 'There is no model to export yet: train one or import one.' } });
      return null;
    }
    s.updateModel({ operation: 'exporting', error: null });
    try {
      const bytes = await this.model.exportArchive();
      const fileName = `caption-model-${this.model.info.label.replace(/[^a-z0-9-]+/gi, '-')}.zip`;
      this.store.getState().updateModel({ operation: 'idle', lastExport: { fileName, bytes: bytes.byteLength } });
      return { fileName, bytes };
    } catch (error) {
      this.store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Export') });
      return null;
    }
  }

  async importArchive(file: { name: string; bytes: Uint8Array }): Promise<void> {
    await this.importWith('archive', () => this.engines.importArchive!(file.bytes, file.name));
  }

  async importNotebook(files: File[]): Promise<void> {
    await this.importWith('notebook', () => this.engines.importNotebook!(files));
  }

  private async importWith(source: 'archive' | 'notebook', load: () => Promise<StudioModel>): Promise<void> {
    this.store.getState().updateModel({ operation: 'importing', error: null });
    try {
      await this.adoptModel(await load(), { source });
      this.store.getState().updateModel({ operation: 'idle' });
    } catch (error) {
      this.store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Import') });
    }
  }

  // ---- Runs that survive a reload -------------------------------------------------------------------------

  private async saveRun(): Promise<void> {
    if (!this.persistence || !this.model) return;
    const t = this.store.getState().training;
    try {
      const archive = await this.model.exportArchive();
      const summary = { savedAtMs: Date.now(), epoch: t.epochs.length, steps: t.steps.step.length, label: this.model.info.label };
      await this.persistence.save({ summary, chart: { config: t.config, steps: t.steps, epochs: t.epochs, lastCheckpoint: t.lastCheckpoint }, archive });
      this.store.getState().updateModel({ savedRun: summary });
    } catch (error) {
      this.store.getState().updateModel({ error: toStudioError(error, 'Saving the run for later') });
    }
  }

  /** After a reload: the run's charts and, if the build can import archives, the model come back. */
  async restoreLastRun(): Promise<boolean> {
    if (!this.persistence) return false;
    try {
      const saved = await this.persistence.load();
      if (!saved) return false;
      this.store.getState().updateModel({ operation: 'restoring', savedRun: saved.summary });
      this.store.getState().restoreTrainingRun(saved.chart);
      if (this.engines.importArchive) await this.adoptModel(await this.engines.importArchive(saved.archive, 'last run'), { source: 'trained' });
      this.store.getState().updateModel({ operation: 'idle' });
      return true;
    } catch (error) {
      this.store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Restoring the last run') });
      return false;
    }
  }

  async dispose(): Promise<void> {
    this.extractAbort?.abort();
    this.evalAbort?.abort();
    await this.disposeRun();
    this.model?.dispose();
    this.model = null;
    this.imageUrls.clear();
  }
}
