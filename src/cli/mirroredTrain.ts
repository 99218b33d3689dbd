/**
 * `caption-studio train --replicas N` (N ≥ 2): the MirroredTrainer with N Node worker-thread replicas
 * ("MirroredStrategy in Node"), each on its own tfjs backend (wasm, cpu, or webgpu through its own Dawn
 * device). What the CLI needs around it lives here:
 * - checkpoints in the in-process trainer's model-folder format (model.json, weights.bin, tokenizer.json,
 *   optimizer.bin, trainer.json), so `caption`/`evaluate` load a mirrored run's folder and `--resume` works
 *   across in-process and mirrored runs alike;
 * - validation loss and BLEU of replica 0's weights, computed on this thread exactly as the in-process
 *   trainer computes them (loss over the whole validation split, BLEU over its first `validationSample`).
 */
import type { CaptionBatch } from '../model/batches.ts';
import { paramSpecs } from '../model/captionModel.ts';
import type { ModelMeta } from '../model/weightsIo.ts';
import type { CaptionDataset, ModelSizes } from '../engine/training/captionData.ts';
import type { CheckpointStore } from '../engine/training/checkpoint.ts';
import type { WorkerEndpoint } from '../engine/threads/endpoint.ts';
import { InProcessTrainer } from '../engine/training/inProcessTrainer.ts';
import { captionCheckpointFormat, captionDataSource, captionModelSpec } from '../engine/mirrored/caption.ts';
import { rememberingLatest } from '../engine/mirrored/checkpoints.ts';
import { MirroredTrainer } from '../engine/mirrored/trainer.ts';
import { nodeWorkerEndpoint } from '../engine/threads/nodeEndpoint.ts';
import type { FaultInjection } from '../protocol/replica.ts';
import { zeroBleu, type BackendName, type Bleu, type TrainConfig } from '../engine/training/trainer.ts';

export interface CliMirroredOptions {
  data: CaptionDataset;
  /** config.replicas ≥ 2 and config.allReduce pick the group. */
  config: TrainConfig;
  sizes: ModelSizes;
  /** The model folder (--out): written after every epoch, read by --resume. */
  store: CheckpointStore;
  /** Saved in model.json's meta with every checkpoint (the feature identity). */
  meta: ModelMeta;
  /** The backend every replica starts (each in its own thread). */
  backend: BackendName;
  /** Tests: how a replica starts (default: a worker thread running workers/replica.worker.ts). */
  spawnReplica?: () => WorkerEndpoint;
  /** Tests: make a replica misbehave. */
  faults?: { replica: number; fault: FaultInjection }[];
}

export interface CliMirroredRun {
  trainer: MirroredTrainer<CaptionBatch>;
  stepsPerEpoch: number;
  /** Epochs finished in the model folder (the last checkpoint saved or resumed from; 0 = none). */
  epochsSaved(): number;
  /** Loss and BLEU of the folder's weights (the run's seeded start when nothing was saved yet) on a split. */
  evaluate(split: 'val' | 'test'): Promise<{ loss: number; bleu: Bleu }>;
  dispose(): void;
}

export function cliMirroredTrainer(options: CliMirroredOptions): CliMirroredRun {
  const { data, config } = options;
  // Holds a model on this thread for evaluation only; its seeded weights are the replicas' start too.
  const holder = new InProcessTrainer({ data, config: { ...config, replicas: 1 }, model: options.sizes, store: null });
  const modelConfig = holder.modelConfig;
  const spec = captionModelSpec(modelConfig, config);
  // The in-process trainer's batches: its seeded order per epoch, batchSize images a step.
  const source = captionDataSource(data, config);
  const { stepsPerEpoch } = source;
  const checkpoints = rememberingLatest(options.store, captionCheckpointFormat({ data, config, modelConfig, spec, stepsPerEpoch, meta: options.meta }));
  const evaluateWeights = async (weights: Float32Array[], split: 'val' | 'test', bleuLimit: number) => {
    holder.replica.setWeights(weights);
    return evaluateOnThread(holder, data, config, split, bleuLimit);
  };
  const trainer = new MirroredTrainer<CaptionBatch>({
    config,
    model: spec,
    data: source,
    backend: options.backend,
    spawn: options.spawnReplica ?? (() => nodeWorkerEndpoint()),
    checkpoints: checkpoints.store,
    checkpointFormat: checkpoints.format,
    ...(options.faults ? { faults: options.faults } : {}),
    evaluate: (split, state, opts) => evaluateWeights(state.slice(0, paramSpecs(modelConfig).length), split, opts?.limit ?? config.validationSample),
  });
  return {
    trainer,
    stepsPerEpoch,
    epochsSaved: () => checkpoints.latest()?.epoch ?? 0,
    async evaluate(split) {
      const latest = checkpoints.latest();
      if (latest) holder.replica.setWeights(latest.state.slice(0, paramSpecs(modelConfig).length));
      const examples = data[split];
      const result = await holder.evaluateExamples(examples, examples.length);
      return { loss: result.loss ?? Number.NaN, bleu: result.bleu ?? zeroBleu() };
    },
    dispose: () => holder.replica.dispose(),
  };
}

/** The in-process trainer's per-epoch evaluation: loss over the split (val, else test), BLEU of its first images. */
function evaluateOnThread(holder: InProcessTrainer, data: CaptionDataset, config: TrainConfig, split: 'val' | 'test', bleuLimit: number) {
  const examples = split === 'val' && data.val.length === 0 ? data.test : data[split];
  // No loss: NaN, no BLEU sample: zeros; the mirrored trainer reports both as null, as the in-process one does.
  return holder.evaluateExamples(examples, bleuLimit).then((r) => ({
    loss: r.loss ?? Number.NaN,
    bleu: r.bleu ?? zeroBleu(),
  }));
}
