/**
 * The caption model trained mirrored, wired once for the CLI (`train --replicas N`, worker threads) and the
 * page (module Web Workers): the replicas' model and batches (caption.ts), checkpoints in the in-process
 * trainer's training-folder format (either trainer resumes the other's run), and validation loss and BLEU
 * of the group's weights computed on this thread by the in-process trainer's own CaptionEvaluator, so both
 * trainers report the same numbers for the same weights.
 */
import type { CaptionBatch } from '../../model/batches.ts';
import { CaptionModel, paramSpecs, type CaptionModelConfig } from '../../model/captionModel.ts';
import { Captioner } from '../../model/captioner.ts';
import type { ModelMeta } from '../../model/weightsIo.ts';
import type { FaultInjection } from '../../protocol/replica.ts';
import type { WorkerEndpoint } from '../threads/endpoint.ts';
import { captionModelConfigFor, type CaptionDataset, type CaptionExample, type ModelSizes } from '../training/captionData.ts';
import type { CheckpointStore } from '../training/checkpoint.ts';
import { CaptionEvaluator } from '../training/evaluation.ts';
import type { BackendName, TrainConfig } from '../training/trainer.ts';
import { captionCheckpointFormat, captionDataSource, captionModelSpec } from './caption.ts';
import { rememberingLatest } from './checkpoints.ts';
import { MirroredTrainer } from './trainer.ts';

export interface MirroredCaptionOptions {
  data: CaptionDataset;
  /** `replicas` (the trainer clamps it to 1..maxReplicas) and `allReduce` pick the group. */
  config: TrainConfig;
  /** Model size overrides (tests use tiny models); the notebook's 256/256 otherwise. */
  sizes?: ModelSizes;
  /** Where checkpoints go: a model folder in Node, IndexedDB in the page. */
  store: CheckpointStore;
  /** Saved in model.json's meta with every checkpoint (e.g. the feature identity). */
  meta?: ModelMeta;
  /** The backend every replica starts its search at (each in its own thread). */
  backend: BackendName;
  /** Starts one replica (a worker thread in Node, a module Web Worker in the page). */
  spawn(): WorkerEndpoint;
  /** Tests: make a replica misbehave. */
  faults?: { replica: number; fault: FaultInjection }[];
  /** Images whose captions (by the group's weights) every epochCompleted carries, as the in-process trainer's. */
  samples?: CaptionExample[];
}

export interface MirroredCaptionRun {
  trainer: MirroredTrainer<CaptionBatch>;
  modelConfig: CaptionModelConfig;
  stepsPerEpoch: number;
  /** Epochs finished in the store: the last checkpoint saved or resumed from (0 = none). */
  epochsSaved(): number;
  /** A Captioner of the weights the run ended with (MirroredTrainer.finalState; the caller disposes it); null when there are none. */
  captioner(): Promise<Captioner | null>;
}

export function mirroredCaptionRun(options: MirroredCaptionOptions): MirroredCaptionRun {
  const { data, config } = options;
  const modelConfig = captionModelConfigFor(data, config.dropout, options.sizes);
  const weightCount = paramSpecs(modelConfig).length;
  const spec = captionModelSpec(modelConfig, config);
  const source = captionDataSource(data, config);
  const checkpoints = rememberingLatest(options.store, captionCheckpointFormat({ data, config, modelConfig, spec, stepsPerEpoch: source.stepsPerEpoch, meta: options.meta }));
  // Held on this thread for evaluation only; its seeded weights are the replicas' start too.
  const held = CaptionModel.random(modelConfig, config.seed);
  const evaluator = new CaptionEvaluator(held, data, config);
  /** state = [...weights, ...optimizer moments, counters] (CaptionReplicaModel.getState). */
  const hold = (state: Float32Array[] | null) => state && held.setWeights(state.slice(0, weightCount));
  const trainer = new MirroredTrainer<CaptionBatch>({
    config,
    model: spec,
    data: source,
    backend: options.backend,
    spawn: options.spawn,
    checkpoints: checkpoints.store,
    checkpointFormat: checkpoints.format,
    ...(options.faults ? { faults: options.faults } : {}),
    evaluator: {
      async epoch(state) {
        hold(state);
        const evaluation = await evaluator.validation(config.validationSample);
        const samples = options.samples?.length ? await evaluator.sampleCaptions(options.samples) : [];
        return samples.length ? { ...evaluation, samples } : evaluation;
      },
      async split(split, state, opts) {
        hold(state);
        return evaluator.split(split, opts?.limit);
      },
      dispose: () => held.dispose(),
    },
  });
  const epochsSaved = () => checkpoints.latest()?.epoch ?? 0;
  return {
    trainer,
    modelConfig,
    stepsPerEpoch: source.stepsPerEpoch,
    epochsSaved,
    async captioner() {
      const state = await trainer.finalState();
      if (!state) return null;
      const meta = { ...options.meta, protocol: data.protocol, startToken: data.startToken, endToken: data.endToken, epochsTrained: epochsSaved() };
      return new Captioner(new CaptionModel(modelConfig, state.slice(0, weightCount)), data.tokenizer, meta);
    },
  };
}
