/**
 * Page-side training for the studio: the InProcessTrainer on the page's thread, or the mirrored run
 * (engine/mirrored/captionRun.ts, the CLI's wiring too) with module Web Worker replicas, both over the
 * same CaptionDataset and checkpoint store, and the model they trained.
 */
import type { Corpus } from '../../core/data/types.ts';
import { Captioner } from '../../model/captioner.ts';
import { buildCaptionDataset, type ModelSizes } from '../../engine/training/captionData.ts';
import { MemoryCheckpointStore, type CheckpointStore } from '../../engine/training/checkpoint.ts';
import { InProcessTrainer } from '../../engine/training/inProcessTrainer.ts';
import { mirroredCaptionRun } from '../../engine/mirrored/captionRun.ts';
import type { WorkerEndpoint } from '../../engine/threads/endpoint.ts';
import { studioModel } from '../model.ts';
import type { TrainingRun } from '../ports.ts';
import type { BackendName, TrainConfig } from '../../engine/training/trainer.ts';

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
  spawnReplica?: () => WorkerEndpoint;
  meta?: Record<string, unknown>;
  /** One replica: 'page' = InProcessTrainer on this thread (default); 'worker' = one mirrored replica in a worker. */
  placement?: 'worker' | 'page';
  /** On the page's thread: resolves when the page's GPU device is lost (the run ends with it). */
  deviceLost?: Promise<Error>;
}

/** Test images whose captions the Training panel shows after every epoch (the same ones all run long). */
export const SAMPLE_IMAGES = 4;

export function createStudioTraining(options: StudioTrainingOptions): TrainingRun {
  const { config } = options;
  const data = buildCaptionDataset(options.corpus, options.features);
  const label = `${data.protocol} run, seed ${config.seed}`;
  const store = options.checkpoints ?? new MemoryCheckpointStore();
  // Fixed pictures a student watches go from "a a a" to right: the first test images (validation without a test split).
  const samples = (data.test.length ? data.test : data.val).slice(0, SAMPLE_IMAGES);
  if (config.replicas <= 1 && (options.placement ?? 'page') === 'page') {
    const meta = { ...options.meta, protocol: data.protocol, startToken: data.startToken, endToken: data.endToken };
    const trainer = new InProcessTrainer({ data, config, model: options.model, store, meta, samples, deviceLost: options.deviceLost });
    return {
      trainer,
      async model() {
        return studioModel(await Captioner.fromFiles(await trainer.modelFiles(), 'trained'), label, 'trained');
      },
    };
  }
  if (!options.spawnReplica) throw new Error('mirrored training needs a way to start replica workers');
  const run = mirroredCaptionRun({
    data,
    config,
    sizes: options.model,
    store,
    meta: options.meta,
    backend: options.replicaBackend ?? 'wasm',
    spawn: options.spawnReplica,
    samples,
  });
  return {
    trainer: run.trainer,
    async model() {
      const captioner = await run.captioner();
      if (!captioner) throw new Error('the mirrored run has no weights to keep: it was aborted before its first checkpoint');
      return studioModel(captioner, label, 'trained');
    },
  };
}
