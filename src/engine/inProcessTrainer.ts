/**
 * The in-process Trainer: one caption-model replica on this thread (Node, the page's fallback, tests).
 * Each step: gradient sums of the batch → divided by its real-token count (mean per token) → Adam. After
 * every epoch: validation loss, BLEU-1..4 of greedy captions on a validation sample, and a checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { scoreCaptions } from '../core/metrics/bleu';
import { batchTokenCount, makeCaptionBatch } from '../model/batches';
import type { CaptionModelConfig } from '../model/captionModel';
import { greedyDecode } from '../model/decode';
import { lossSum, prepareBatch, type PreparedBatch } from '../model/gradients';
import { chooseModelKernels, type KernelChoice } from '../model/kernelChoice';
import { CaptionReplicaModel } from '../model/replicaStep';
import { encodeCaptionModel, type ModelMeta } from '../model/weightsIo';
import { captionModelConfigFor, epochOrder, type CaptionDataset, type CaptionExample, type ModelSizes } from './captionData';
import type { CheckpointStore } from './checkpoint';
import { prefetch } from './pipeline';
import { readTrainingFiles, trainingFiles } from './trainingFolder';
import type { BackendName, Bleu, Trainer, TrainConfig, TrainerEvent, TrainerListener, TrainerState } from './trainer';

export interface InProcessTrainerOptions {
  data: CaptionDataset;
  config: TrainConfig;
  /** Model size overrides (tests, benches); the notebook's 256/256 otherwise. */
  model?: ModelSizes;
  store?: CheckpointStore | null;
  /** Saved with every checkpoint (e.g. the feature identity). */
  meta?: ModelMeta;
  /** Start from these weights (e.g. a loaded model) instead of a seeded init. */
  initialWeights?: Float32Array[];
  /** Images captioned after every epoch (e.g. four fixed test images); their captions ride on epochCompleted. */
  samples?: CaptionExample[];
}

interface Progress {
  /** Epochs completed. */
  epoch: number;
  step: number;
}

export class InProcessTrainer implements Trainer {
  state: TrainerState = 'idle';
  readonly replica: CaptionReplicaModel;
  readonly modelConfig: CaptionModelConfig;
  private readonly listeners = new Set<TrainerListener>();
  private progress: Progress = { epoch: 0, step: 0 };
  private stopRequested = false;
  private pauseGate: { promise: Promise<void>; release: () => void } | null = null;
  private running: Promise<void> | null = null;

  private kernelChoice: KernelChoice | null = null;

  constructor(private readonly options: InProcessTrainerOptions) {
    const { data, config } = options;
    this.modelConfig = captionModelConfigFor(data, config.dropout, options.model);
    this.replica = new CaptionReplicaModel({
      config: this.modelConfig,
      layout: config.layout,
      learningRate: config.learningRate,
      seed: config.seed,
      weights: options.initialWeights,
    });
  }

  /**
   * Installs this thread's training kernels (fused WGSL on webgpu, f16 under mixed_float16 with shader-f16)
   * and gives the model a loss scaler when the run really is mixed precision. Before the first step.
   */
  private async chooseKernels(): Promise<KernelChoice> {
    if (this.kernelChoice) return this.kernelChoice;
    const { config } = this.options;
    const choice = await chooseModelKernels({ fusedKernels: config.fusedKernels, precision: config.precision });
    this.replica.setPrecision(choice.precision, { initialScale: config.initialLossScale, growthSteps: config.lossScaleGrowthSteps });
    this.kernelChoice = choice;
    return choice;
  }

  on(listener: TrainerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: TrainerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private setState(state: TrainerState, reason?: string): void {
    this.state = state;
    this.emit({ type: 'stateChanged', state, ...(reason ? { reason } : {}) });
  }

  /** Steps taken and epochs completed so far. */
  get position(): Readonly<Progress> {
    return this.progress;
  }

  start(options: { resume?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    if (this.running) return this.running;
    this.stopRequested = false;
    this.running = this.run(options).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  pause(): void {
    if (this.state !== 'running' || this.pauseGate) return;
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.pauseGate = { promise, release };
    this.setState('paused');
  }

  resume(): void {
    if (!this.pauseGate) return;
    this.pauseGate.release();
    this.pauseGate = null;
    this.setState('running');
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.resume();
    await this.running;
  }

  private async run(options: { resume?: boolean; signal?: AbortSignal }): Promise<void> {
    const { config } = this.options;
    try {
      const kernels = await this.chooseKernels();
      if (options.resume) await this.restore();
      this.emit({
        type: 'backendChosen',
        backend: tf.getBackend() as BackendName,
        precision: kernels.precision,
        kernels: kernels.kernels,
        ...(kernels.fallbackReason ? { kernelFallbackReason: kernels.fallbackReason } : {}),
      });
      this.setState('running');
      for (let epoch = this.progress.epoch; epoch < config.epochs; epoch++) {
        const epochStart = performance.now();
        let lossTotal = 0;
        let tokenTotal = 0;
        for await (const batch of prefetch(this.epochBatches(epoch), 2)) {
          if (this.pauseGate) await this.pauseGate.promise;
          if (this.stopRequested || options.signal?.aborted) break;
          const { loss, tokens } = await this.trainStep(batch, epoch);
          // A mixed-precision step whose forward pass overflowed has no loss to average (and was skipped).
          if (Number.isFinite(loss)) {
            lossTotal += loss * tokens;
            tokenTotal += tokens;
          }
        }
        if (this.stopRequested || options.signal?.aborted) {
          this.setState('stopped', options.signal?.aborted ? 'aborted' : 'stopped by request');
          return;
        }
        const evaluation = await this.evaluateExamples(this.validationExamples(), config.validationSample);
        const samples = await this.sampleCaptions();
        this.progress = { epoch: epoch + 1, step: this.progress.step };
        this.emit({
          type: 'epochCompleted',
          epoch: epoch + 1,
          trainLoss: tokenTotal ? lossTotal / tokenTotal : NaN,
          valLoss: evaluation.loss,
          bleu: evaluation.bleu,
          durationMs: performance.now() - epochStart,
          ...(samples ? { samples } : {}),
        });
        await this.checkpoint();
      }
      this.setState('finished');
    } catch (error) {
      const e = error as Error & { code?: string };
      this.emit({ type: 'runFailed', error: { name: e.name, message: e.message, stack: e.stack, code: e.code } });
      this.setState('failed', e.message);
      throw error;
    }
  }

  /** Seeded per epoch, so a resumed run sees the same order the uninterrupted one would. */
  private *epochBatches(epoch: number): Generator<PreparedBatch> {
    const { data, config } = this.options;
    const order = epochOrder(config.seed, epoch, data.train.length);
    for (let i = 0; i < order.length; i += config.batchSize) {
      const images = order.slice(i, i + config.batchSize).map((k) => data.train[k]);
      // Built here, in the pipeline, while the previous step runs: the batch and its layout's index arrays.
      yield prepareBatch(makeCaptionBatch(images, data.featureDim), this.modelConfig, config.layout);
    }
  }

  private async trainStep(batch: PreparedBatch, epoch: number): Promise<{ loss: number; tokens: number }> {
    const started = performance.now();
    const { loss, tokens: tokenCount, outcome } = await this.replica.trainStep(batch, this.progress.step);
    this.progress.step += 1;
    const durationMs = performance.now() - started;
    this.emit({
      type: 'stepCompleted',
      epoch: epoch + 1,
      step: this.progress.step,
      loss,
      tokens: tokenCount,
      durationMs,
      tokensPerSecond: (tokenCount / durationMs) * 1000,
      ...(outcome ? { lossScale: outcome.lossScale, skipped: outcome.skipped } : {}),
    });
    return { loss, tokens: tokenCount };
  }

  private validationExamples(): CaptionExample[] {
    const { data } = this.options;
    return data.val.length ? data.val : data.test;
  }

  /**
   * Mean loss per real token, and BLEU-1..4 of greedy captions of the first `bleuLimit` images, with the
   * current weights (the CLI's mirrored run evaluates replica 0's weights through this too).
   */
  async evaluateExamples(examples: CaptionExample[], bleuLimit: number): Promise<{ loss: number | null; bleu: Bleu | null }> {
    if (examples.length === 0) return { loss: null, bleu: null };
    const { data, config } = this.options;
    let total = 0;
    let tokens = 0;
    for (let i = 0; i < examples.length; i += config.batchSize) {
      const batch = makeCaptionBatch(examples.slice(i, i + config.batchSize), data.featureDim);
      if (batchTokenCount(batch) === 0) continue;
      const sum = lossSum(this.replica.model.variables, this.modelConfig, batch, config.layout);
      total += (await sum.data())[0];
      sum.dispose();
      tokens += batchTokenCount(batch);
    }
    const bleu = bleuLimit > 0 ? await this.bleuOf(examples.slice(0, bleuLimit)) : null;
    return { loss: tokens ? total / tokens : null, bleu };
  }

  /** Greedy captions of the examples, as text with the markers the protocol scores. */
  async captionTexts(examples: CaptionExample[]): Promise<Map<string, string>> {
    const { data } = this.options;
    const texts = new Map<string, string>();
    const chunk = 128;
    for (let i = 0; i < examples.length; i += chunk) {
      const part = examples.slice(i, i + chunk);
      const features = new Float32Array(part.length * data.featureDim);
      part.forEach((e, k) => features.set(e.features, k * data.featureDim));
      const decoded = await greedyDecode(this.replica.model.variables, this.modelConfig, features, {
        startId: data.startId,
        endId: data.endId,
        maxSteps: data.maxLength,
      });
      decoded.forEach((d, k) => {
        const words = d.tokens.map((id) => data.tokenizer.indexWord.get(id) ?? '');
        texts.set(part[k].name, [data.startToken, ...words].join(' '));
      });
    }
    return texts;
  }

  /** Captions of the sample images without the markers; null when the run has none. */
  private async sampleCaptions(): Promise<{ name: string; caption: string }[] | null> {
    const samples = this.options.samples ?? [];
    if (samples.length === 0) return null;
    const { data } = this.options;
    const texts = await this.captionTexts(samples);
    const markers = new Set([data.startToken, data.endToken]);
    return samples.map((e) => ({
      name: e.name,
      caption: (texts.get(e.name) ?? '')
        .split(' ')
        .filter((word) => word && !markers.has(word))
        .join(' '),
    }));
  }

  private async bleuOf(examples: CaptionExample[]): Promise<Bleu> {
    const { data } = this.options;
    const score = scoreCaptions({
      references: new Map(examples.map((e) => [e.name, e.references])),
      hypotheses: await this.captionTexts(examples),
      protocol: data.protocol,
      startToken: data.startToken,
      endToken: data.endToken,
    });
    return { bleu1: score.bleu1, bleu2: score.bleu2, bleu3: score.bleu3, bleu4: score.bleu4 };
  }

  async evaluate(split: 'val' | 'test', options: { limit?: number } = {}): Promise<{ loss: number; bleu: Bleu }> {
    const examples = this.options.data[split].slice(0, options.limit ?? Infinity);
    const result = await this.evaluateExamples(examples, examples.length);
    return { loss: result.loss ?? NaN, bleu: result.bleu ?? { bleu1: 0, bleu2: 0, bleu3: 0, bleu4: 0 } };
  }

  /** The model folder's files (weightsIo format) for the current weights. */
  async modelFiles(): Promise<Record<string, Uint8Array | string>> {
    const { data } = this.options;
    return encodeCaptionModel(this.modelConfig, await this.replica.getWeights(), data.tokenizer.toJSON(), {
      ...this.options.meta,
      protocol: data.protocol,
      startToken: data.startToken,
      endToken: data.endToken,
      epochsTrained: this.progress.epoch,
    });
  }

  private async checkpoint(): Promise<void> {
    const store = this.options.store;
    if (!store) return;
    const adam = await this.replica.optimizer.getState();
    const progress = { ...this.progress, adamStep: adam.step, firstMoments: adam.firstMoments, secondMoments: adam.secondMoments, lossScaler: this.replica.lossScaler?.toJSON() ?? null };
    await store.save(trainingFiles(await this.modelFiles(), progress, this.options.config));
    this.emit({ type: 'checkpointSaved', epoch: this.progress.epoch, step: this.progress.step, location: store.location });
  }

  private async restore(): Promise<void> {
    const files = await this.options.store?.load();
    if (!files) return;
    const saved = await readTrainingFiles(files, this.replica.model.specs.map((s) => s.shape.reduce((a, b) => a * b, 1)));
    this.replica.setWeights(saved.weights);
    this.replica.optimizer.setState({ step: saved.adamStep, firstMoments: saved.firstMoments, secondMoments: saved.secondMoments });
    if (saved.lossScaler && this.replica.lossScaler) this.replica.lossScaler.restore(saved.lossScaler);
    this.progress = { epoch: saved.epoch, step: saved.step };
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.replica.dispose();
  }
}
