/**
 * Glue for training the caption model mirrored: its ModelSpec, its batches as a MirroredDataSource, and a
 * Node trainer that starts replicas as worker threads (the CLI's `--replicas N`).
 */
import type { CaptionBatch } from '../model/batches';
import { imageTokenCounts, sliceCaptionBatch } from '../model/batches';
import type { CaptionReplicaOptions } from '../model/replicaStep';
import type { ModelSpec } from '../protocol/replica';
import type { MirroredDataSource } from './mirroredTypes';

export function captionModelSpec(options: CaptionReplicaOptions): ModelSpec {
  return { kind: 'caption', options };
}

/** Shards are whole images (all captions of an image stay together), balanced by target tokens. */
export function captionDataSource(
  stepsPerEpoch: number,
  batch: (epoch: number, stepInEpoch: number) => CaptionBatch | Promise<CaptionBatch>,
): MirroredDataSource<CaptionBatch> {
  return { stepsPerEpoch, batch, exampleTokens: imageTokenCounts, slice: sliceCaptionBatch };
}
