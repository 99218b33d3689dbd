/**
 * The exported run's folder, as `caption-studio export-run` (and the studio's zip) writes it and
 * `train_ddp.py` / `import-run` read it. Plain data only: no tfjs, no node:, so the page uses it too.
 *
 *   run.json                 this description (RunDescription): config, model sizes, tensor list, file sizes
 *   tokenizer.json           the Keras tokenizer (to_json)
 *   features.npy             float32 [images, featureDim]; row i is image_names.json[i]
 *   image_names.json         the image order
 *   caption_tokens.npy       int32, every caption's token ids (markers included), concatenated
 *   caption_offsets.npy      int32 [captions + 1]: caption k is tokens[offsets[k] .. offsets[k+1])
 *   caption_image.npy        int32 [captions]: the image (row of features.npy) of each caption
 *   split_{train,val,test}.npy  int32 image rows of each split; split_train's order is what the seeded
 *                            epoch order permutes (the studio's data.train order)
 *   initial_weights/<layer>/<weight>.npy  the studio's seeded initial weights, Keras names and shapes
 *   train_ddp.py, README.md
 * train_ddp.py adds checkpoints/epoch_NNNN/{weights,adam_m,adam_v}/<layer>/<weight>.npy + state.json and
 * train_log.jsonl.
 */
import type { Layout } from '../../model/batches.ts';
import type { CaptionModelConfig } from '../../model/captionModel.ts';
import type { ModelMeta } from '../../model/weightsIo.ts';
import type { Precision } from '../../model/precision.ts';
import type { Protocol } from '../../core/data/types.ts';

export const RUN_FORMAT = 'caption-studio-ddp-run';
export const RUN_VERSION = 1;
export const CHECKPOINT_FORMAT = 'caption-studio-ddp-checkpoint';
export const SPLITS = ['train', 'val', 'test'] as const;

/** The training settings the script honours (everything else of a studio run is the studio's own). */
export interface RunTrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  layout: Layout;
  protocol: Protocol;
  precision: Precision;
  seed: number;
  dropout: number;
  lossScale: { initial: number; growthSteps: number };
  adam: { beta1: number; beta2: number; epsilon: number };
}

export interface RunDescription {
  format: typeof RUN_FORMAT;
  version: number;
  /** Content hash of the run (settings, tokenizer, arrays): checkpoints carry it, so a foreign one is refused. */
  runId: string;
  train: RunTrainSettings;
  model: Omit<CaptionModelConfig, 'dropout'>;
  /** paramSpecs order. */
  params: { name: string; shape: number[]; file: string }[];
  data: {
    images: number;
    captions: number;
    tokens: number;
    train: number;
    val: number;
    test: number;
    startToken: string;
    endToken: string;
    startId: number;
    endId: number;
  };
  /** What the studio's model folder carries (feature identity, protocol): import-run puts it back. */
  meta: ModelMeta;
  /** Every file of the export with its size in bytes (run.json itself excepted): completeness check. */
  files: Record<string, number>;
}

/** `dense/kernel` → `initial_weights/dense/kernel.npy` (the checkpoint's folders use the same tail). */
export function weightFile(folder: string, name: string): string {
  return `${folder}/${name}.npy`;
}

/** One line of train_ddp.py's JSON log (stdout and train_log.jsonl). */
export type DdpLogRecord =
  | { event: 'start'; runId: string; worldSize: number; backend: string; device: string; precision: string; layout: string; batchSize: number; epochs: number; torch: string }
  | { event: 'step'; epoch: number; step: number; loss: number; tokens: number; durationMs: number; tokensPerSecond: number; worldSize: number; lossScale?: number; skipped?: boolean }
  | { event: 'epoch'; epoch: number; step: number; trainLoss: number | null; valLoss: number | null; durationMs: number; tokensPerSecond: number; worldSize: number; checkpoint: string | null }
  | { event: 'end'; epochs: number; steps: number; worldSize: number };
