/**
 * The in-process Trainer: one caption-model replica on this thread (Node, the page's fallback, tests).
 * Each step: gradient sums of the batch → divided by its real-token count (mean per token) → Adam. After
 * every epoch: validation loss, BLEU-1..4 of greedy captions on a validation sample, and a checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { makeCaptionBatch } from '../../model/batches.ts';
import type { CaptionModelConfig } from '../../model/captionModel.ts';
import { prepareBatch, type PreparedBatch } from '../../model/gradients.ts';
import { passTokens } from '../../model/deviceLimits.ts';
import { chooseModelKernels, type KernelChoice } from '../../model/kernelChoice.ts';
import { CaptionReplicaModel } from '../../model/replicaStep.ts';
import { encodeCaptionModel, type ModelMeta } from '../../model/weightsIo.ts';
import { captionModelConfigFor, epochOrder, type CaptionDataset, type CaptionExample, type ModelSizes } from './captionData.ts';
import type { CheckpointStore } from './checkpoint.ts';
import { prefetch } from './prefetch.ts';
import { readTrainingFiles, trainingFiles } from './folder.ts';
import { CaptionEvaluator, type SampleCaption } from './evaluation.ts';
import { TrainerBase, type BackendName, type Bleu, type TrainConfig } from './trainer.ts';

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
  /**
   * Resolves with an error when the GPU device this thread trains on is lost. Every wait of the run on the
   * device races it: a read on a lost device may never settle, and the run must end with the loss.
   */
  deviceLost?: Promise<Error>;
}

interface Progress {
  /** Epochs completed. */
  epoch: number;
  step: number;
}

export class InProcessTrainer extends TrainerBase {
  readonly replica: CaptionReplicaModel;
  readonly modelConfig: CaptionModelConfig;
  private progress: Progress = { epoch: 0, step: 0 };
  private kernelChoice: KernelChoice | null = null;
  /** Validation loss and BLEU of the live weights. */
  private readonly evaluator: CaptionEvaluator;

  constructor(private readonly options: InProcessTrainerOptions) {
    super();
    const { data, config } = options;
    this.modelConfig = captionModelConfigFor(data, config.dropout, options.model);
    this.replica = new CaptionReplicaModel({
      config: this.modelConfig,
      layout: config.layout,
      learningRate: config.learningRate,
      seed: config.seed,
      weights: options.initialWeights,
    });
    this.evaluator = new CaptionEvaluator(this.replica.model, data, config);
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

  /** Steps taken and epochs completed so far. */
  get position(): Readonly<Progress> {
    return this.progress;
  }

  protected get stepsDone(): number {
    return this.progress.step;
  }

  protected async run({ resume }: { resume: boolean }): Promise<void> {
    const { config } = this.options;
    const kernels = await this.guard(this.chooseKernels());
    if (resume) {
      await this.guard(this.restore());
      this.emit({ type: 'resumedFrom', epoch: this.progress.epoch, step: this.progress.step });
    }
    this.emit({
      type: 'backendChosen',
      backend: tf.getBackend() as BackendName,
      precision: kernels.precision,
      kernels: kernels.kernels,
      ...(kernels.fallbackReason ? { kernelFallbackReason: kernels.fallbackReason } : {}),
    });
    // Said once: the device's buffer limit cuts each batch into more passes than the default.
    const passes = passTokens(this.modelConfig, config.layout, config.layout === 'prefix' ? 512 : 4096);
    if (passes.deviceNote) this.emit({ type: 'warning', message: passes.deviceNote });
    for (let epoch = this.progress.epoch; epoch < config.epochs && !this.stopRequested; epoch++) {
      const epochStart = performance.now();
      let lossTotal = 0;
      let tokenTotal = 0;
      let cutShort = false;
      for await (const batch of prefetch(this.epochBatches(epoch), 2)) {
        if (!(await this.beforeStep())) {
          cutShort = true;
          break;
        }
        const { loss, tokens } = await this.guard(this.trainStep(batch, epoch));
        // A mixed-precision step whose forward pass overflowed has no loss to average (and was skipped).
        if (Number.isFinite(loss)) {
          lossTotal += loss * tokens;
          tokenTotal += tokens;
        }
      }
      // Stopped before the epoch's last step, or aborted: the epoch is not completed (nor saved).
      if (cutShort || this.aborted) return;
      const evaluation = await this.guard(this.evaluator.validation(config.validationSample));
      const samples = await this.guard(this.sampleCaptions());
      this.progress = { epoch: epoch + 1, step: this.progress.step };
      this.emit({
        type: 'epochCompleted',
        epoch: epoch + 1,
        // No real token in the whole epoch: no loss (NaN), as the mirrored trainer says.
        trainLoss: tokenTotal ? lossTotal / tokenTotal : NaN,
        valLoss: evaluation.loss,
        bleu: evaluation.bleu,
        durationMs: performance.now() - epochStart,
        ...(samples ? { samples } : {}),
      });
      await this.guard(this.checkpoint());
    }
  }

  /** `work`, unless the device is lost first (options.deviceLost): then the loss's error. */
  private guard<T>(work: Promise<T>): Promise<T> {
    const lost = this.options.deviceLost;
    return lost ? Promise.race([work, lost.then((error) => Promise.reject(error))]) : work;
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

  /** Greedy captions of the examples with the current weights, as text with the markers the protocol scores. */
  captionTexts(examples: CaptionExample[]): Promise<Map<string, string>> {
    return this.evaluator.captionTexts(examples);
  }

  /** Captions of the sample images without the markers; null when the run has none. */
  private async sampleCaptions(): Promise<SampleCaption[] | null> {
    const samples = this.options.samples ?? [];
    return samples.length ? this.evaluator.sampleCaptions(samples) : null;
  }

  evaluate(split: 'val' | 'test', options: { limit?: number } = {}): Promise<{ loss: number; bleu: Bleu }> {
    return this.evaluator.split(split, options.limit);
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

  protected override async release(): Promise<void> {
    this.replica.dispose();
  }
}
