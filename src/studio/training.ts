/**
 * Page-side training for the studio: the InProcessTrainer for one replica, the MirroredTrainer with module
 * Web Worker replicas for 2..8, both over the same CaptionDataset, and the model they trained.
 */
import type { Corpus } from '../core/data/types';
import { scoreCaptions } from '../core/metrics/bleu';
import type { CaptionBatch } from '../model/batches';
import { CaptionModel, paramSpecs, type CaptionModelConfig } from '../model/captionModel';
import { Captioner } from '../model/captioner';
import { buildCaptionDataset, captionModelConfigFor, type CaptionDataset, type ModelSizes } from '../engine/training/captionData';
import { MemoryCheckpointStore, type CheckpointStore } from '../engine/training/checkpoint';
import { InProcessTrainer } from '../engine/training/inProcessTrainer';
import { captionCheckpointFormat, captionDataSource, captionModelSpec } from '../engine/mirrored/caption';
import { rememberingLatest } from '../engine/mirrored/checkpoints';
import { MirroredTrainer } from '../engine/mirrored/trainer';
import { studioModel } from './model';
import type { TrainingRun } from './ports';
import { zeroBleu, type BackendName, type Bleu, type TrainConfig } from '../engine/training/trainer';

export interface StudioTrainingOptions {
  config: TrainConfig;
  corpus: Corpus;
  features: Map<string, Float32Array>;
  /** Model size overrides (tests use tiny models); the notebook's 256/256 otherwise. */
  model?: ModelSizes;
  /** Where checkpoints go, in-process and mirrored alike (IndexedDB in the page; default: memory). */
  checkpoints?: CheckpointStore;
  /** Mirrored only: the backend each replica worker uses, and how to start one. */
  replicaBackend?: BackendName;
  spawnReplica?: () => import('../engine/threads/endpoint').WorkerEndpoint;
  meta?: Record<string, unknown>;
  /** One replica: 'page' = InProcessTrainer on this thread (default); 'worker' = one mirrored replica in a worker. */
  placement?: 'worker' | 'page';
}

export function createStudioTraining(options: StudioTrainingOptions): TrainingRun {
  const { config } = options;
  const data = buildCaptionDataset(options.corpus, options.features);
  const label = `${data.protocol} run, seed ${config.seed}`;
  const meta = { ...options.meta, protocol: data.protocol, startToken: data.startToken, endToken: data.endToken };
  if (config.replicas <= 1 && (options.placement ?? 'page') === 'page') {
    const trainer = new InProcessTrainer({ data, config, model: options.model, store: options.checkpoints ?? new MemoryCheckpointStore(), meta });
    return {
      trainer,
      async model() {
        return studioModel(await Captioner.fromFiles(await trainer.modelFiles(), 'trained'), label, 'trained');
      },
    };
  }
  if (!options.spawnReplica) throw new Error('mirrored training needs a way to start replica workers');
  const modelConfig = captionModelConfigFor(data, config.dropout, options.model);
  const paramCount = paramSpecs(modelConfig).length;
  const spec = captionModelSpec(modelConfig, config);
  const source = captionDataSource(data, config);
  // Every checkpoint passes through here, so the model after the run is known without asking a worker.
  const checkpoints = rememberingLatest(
    options.checkpoints ?? new MemoryCheckpointStore(),
    captionCheckpointFormat({ data, config, modelConfig, spec, stepsPerEpoch: source.stepsPerEpoch, meta }),
  );
  const trainer = new MirroredTrainer<CaptionBatch>({
    config: { ...config, replicas: Math.max(1, config.replicas) },
    model: spec,
    data: source,
    backend: options.replicaBackend ?? 'wasm',
    spawn: options.spawnReplica,
    checkpoints: checkpoints.store,
    checkpointFormat: checkpoints.format,
    evaluate: (split, state, opts) => evaluateWeights(data, modelConfig, state.slice(0, paramCount), split, opts?.limit ?? config.validationSample),
  });
  return {
    trainer,
    async model() {
      const latest = checkpoints.latest();
      if (!latest) throw new Error('the mirrored run saved no checkpoint: it stopped before its first epoch ended');
      const model = new CaptionModel(modelConfig, latest.state.slice(0, paramCount));
      return studioModel(new Captioner(model, data.tokenizer, { ...meta, epochsTrained: latest.epoch }), label, 'trained');
    },
  };
}

/** Validation BLEU of a mirrored run's weights, decoded on the page (loss is not recomputed: NaN). */
async function evaluateWeights(
  data: CaptionDataset,
  config: CaptionModelConfig,
  weights: Float32Array[],
  split: 'val' | 'test',
  limit: number,
): Promise<{ loss: number; bleu: Bleu }> {
  const examples = (data[split].length ? data[split] : data.test).slice(0, Math.max(limit, 0));
  if (examples.length === 0) return { loss: Number.NaN, bleu: zeroBleu() };
  const captioner = new Captioner(new CaptionModel(config, weights), data.tokenizer, { startToken: data.startToken, endToken: data.endToken });
  try {
    const captions = await captioner.caption(examples.map((e) => e.features));
    const hypotheses = new Map(examples.map((e, k) => [e.name, captions[k].markedText] as const));
    const s = scoreCaptions({ references: new Map(examples.map((e) => [e.name, e.references])), hypotheses, protocol: data.protocol, startToken: data.startToken, endToken: data.endToken });
    return { loss: Number.NaN, bleu: { bleu1: s.bleu1, bleu2: s.bleu2, bleu3: s.bleu3, bleu4: s.bleu4 } };
  } finally {
    captioner.dispose();
  }
}
