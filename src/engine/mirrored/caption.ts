/**
 * Glue for training the caption model mirrored (the studio's workers and the CLI's `--replicas N`): its
 * ModelSpec, its batches as a MirroredDataSource (the same batches the in-process trainer takes) and its
 * checkpoints as the in-process trainer's training folder.
 */
import { imageTokenCounts, makeCaptionBatch, sliceCaptionBatch, type CaptionBatch } from '../../model/batches.ts';
import { paramSpecs, type CaptionModelConfig } from '../../model/captionModel.ts';
import { readStepCounters, stepCounters } from '../../model/precision.ts';
import { encodeCaptionModel, type ModelMeta } from '../../model/weightsIo.ts';
import type { ModelSpec } from '../../protocol/replica.ts';
import { epochOrder, type CaptionDataset } from '../training/captionData.ts';
import { readTrainingFiles, trainingFiles } from '../training/folder.ts';
import type { MirroredCheckpoint, MirroredCheckpointFormat, MirroredDataSource } from './types.ts';
import type { TrainConfig } from '../training/trainer.ts';

/** The replicas' model: the run's precision and kernel settings are merged in by the MirroredTrainer. */
export function captionModelSpec(modelConfig: CaptionModelConfig, config: Pick<TrainConfig, 'layout' | 'learningRate' | 'seed'>): ModelSpec {
  return { kind: 'caption', options: { config: modelConfig, layout: config.layout, learningRate: config.learningRate, seed: config.seed } };
}

/**
 * `batchSize` images a step in the epoch's seeded order (epochOrder, computed once per epoch); shards are
 * whole images (all captions of an image stay together), balanced by target tokens.
 */
export function captionDataSource(data: CaptionDataset, config: Pick<TrainConfig, 'seed' | 'batchSize'>): MirroredDataSource<CaptionBatch> {
  let cached: { epoch: number; order: number[] } | null = null;
  const orderOf = (epoch: number) => {
    if (cached?.epoch !== epoch) cached = { epoch, order: epochOrder(config.seed, epoch, data.train.length) };
    return cached.order;
  };
  return {
    stepsPerEpoch: Math.max(1, Math.ceil(data.train.length / config.batchSize)),
    batch: (epoch, step) =>
      makeCaptionBatch(
        orderOf(epoch)
          .slice(step * config.batchSize, (step + 1) * config.batchSize)
          .map((k) => data.train[k]),
        data.featureDim,
      ),
    exampleTokens: imageTokenCounts,
    slice: sliceCaptionBatch,
  };
}

export interface CaptionCheckpointSetup {
  data: CaptionDataset;
  config: TrainConfig;
  modelConfig: CaptionModelConfig;
  spec: ModelSpec;
  stepsPerEpoch: number;
  /** Saved in model.json's meta with every checkpoint (e.g. the feature identity). */
  meta?: ModelMeta;
}

/**
 * A caption replica's state (weights, Adam's moments, step counters: CaptionReplicaModel.getState) as the
 * in-process trainer's training folder (model files, optimizer.bin, trainer.json), so `caption`/`evaluate`
 * load a mirrored run's folder and a run resumes across in-process and mirrored alike.
 */
export function captionCheckpointFormat(setup: CaptionCheckpointSetup): MirroredCheckpointFormat {
  const { data, modelConfig } = setup;
  const sizes = paramSpecs(modelConfig).map((s) => s.shape.reduce((a, b) => a * b, 1));
  const k = sizes.length;
  return {
    encode({ state, epoch, step }) {
      // state = [...weights, ...firstMoments, ...secondMoments, counters].
      const counters = readStepCounters(state[3 * k]);
      const modelFiles = encodeCaptionModel(modelConfig, state.slice(0, k), data.tokenizer.toJSON(), {
        ...setup.meta,
        protocol: data.protocol,
        startToken: data.startToken,
        endToken: data.endToken,
        epochsTrained: epoch,
      });
      const progress = { epoch, step, ...counters, firstMoments: state.slice(k, 2 * k), secondMoments: state.slice(2 * k, 3 * k) };
      return trainingFiles(modelFiles, progress, setup.config);
    },
    async decode(files): Promise<MirroredCheckpoint> {
      const saved = await readTrainingFiles(files, sizes);
      return {
        epoch: saved.epoch,
        // Steps from finished epochs, not the saved count: a resumed run may use another batch size.
        step: saved.epoch * setup.stepsPerEpoch,
        model: setup.spec,
        state: [...saved.weights, ...saved.firstMoments, ...saved.secondMoments, stepCounters(saved.adamStep, saved.lossScaler)],
      };
    },
  };
}
