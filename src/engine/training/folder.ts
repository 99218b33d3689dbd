/**
 * The training checkpoint in a model folder, written the same by the in-process trainer and the CLI's
 * mirrored run (so `--resume` works across both): the model files (weightsIo) plus `optimizer.bin` (Adam's
 * first then second moments, in paramSpecs order, f32) and `trainer.json` (progress, Adam's step, the run's
 * config and, under mixed precision, the loss scaler).
 */
import { memoryFolder } from '../../core/data/folders.ts';
import type { LossScalerState } from '../../model/precision.ts';
import { loadCaptionModel } from '../../model/weightsIo.ts';
import type { TrainConfig } from './trainer.ts';

export interface TrainingProgress {
  /** Epochs finished. */
  epoch: number;
  /** Steps taken. */
  step: number;
  adamStep: number;
  firstMoments: Float32Array[];
  secondMoments: Float32Array[];
  lossScaler: LossScalerState | null;
}

/** The model folder's files plus the optimizer and progress files. */
export function trainingFiles(
  modelFiles: Record<string, Uint8Array | string>,
  progress: TrainingProgress,
  config: TrainConfig,
): Record<string, Uint8Array | string> {
  const moments = [...progress.firstMoments, ...progress.secondMoments];
  const optimizer = new Float32Array(moments.reduce((n, m) => n + m.length, 0));
  let offset = 0;
  for (const m of moments) {
    optimizer.set(m, offset);
    offset += m.length;
  }
  const { epoch, step, adamStep, lossScaler } = progress;
  return {
    ...modelFiles,
    'optimizer.bin': new Uint8Array(optimizer.buffer),
    'trainer.json': JSON.stringify({ epoch, step, adamStep, config, ...(lossScaler ? { lossScaler } : {}) }),
  };
}

/**
 * Reads what trainingFiles wrote.
 * @param sizes element count of every parameter, in paramSpecs order (the moments' shapes)
 */
export async function readTrainingFiles(
  files: Record<string, Uint8Array>,
  sizes: number[],
): Promise<TrainingProgress & { weights: Float32Array[] }> {
  const loaded = await loadCaptionModel(memoryFolder('checkpoint', files));
  const saved = JSON.parse(new TextDecoder().decode(files['trainer.json'])) as { epoch: number; step: number; adamStep: number; lossScaler?: LossScalerState };
  const bytes = files['optimizer.bin'];
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const moments: Float32Array[] = [];
  let offset = 0;
  for (const size of [...sizes, ...sizes]) {
    moments.push(flat.slice(offset, offset + size));
    offset += size;
  }
  return {
    weights: loaded.weights,
    epoch: saved.epoch,
    step: saved.step,
    adamStep: saved.adamStep,
    firstMoments: moments.slice(0, sizes.length),
    secondMoments: moments.slice(sizes.length),
    lossScaler: saved.lossScaler ?? null,
  };
}
