/**
 * Glue for training the caption model mirrored (the studio's workers and the CLI's `--replicas N`): its
 * ModelSpec and its batches as a MirroredDataSource, the same batches the in-process trainer takes.
 */
import { imageTokenCounts, makeCaptionBatch, sliceCaptionBatch, type CaptionBatch } from '../../model/batches';
import type { CaptionModelConfig } from '../../model/captionModel';
import type { ModelSpec } from '../../protocol/replica';
import { epochOrder, type CaptionDataset } from '../training/captionData';
import type { MirroredDataSource } from './types';
import type { TrainConfig } from '../training/trainer';

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
