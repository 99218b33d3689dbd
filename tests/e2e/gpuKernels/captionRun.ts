/**
 * A short run of the real caption model (src/model: chooseModelKernels + CaptionReplicaModel, the trainer's
 * step: gradient sums → means → Adam), tiny sizes, 3 steps on one fixed batch. Run with stock ops on the cpu
 * backend and with the kernels chooseModelKernels installs on WebGPU: the losses must agree.
 */
import * as tf from '@tensorflow/tfjs';
import { makeCaptionBatch } from '../../../src/model/batches';
import type { CaptionModelConfig } from '../../../src/model/captionModel';
import { chooseModelKernels, type KernelChoice } from '../../../src/model/kernelChoice';
import { CaptionReplicaModel } from '../../../src/model/replicaStep';

export const captionSteps = 3;

const config: CaptionModelConfig = { vocabSize: 12, maxLength: 6, featureDim: 8, units: 8, embedDim: 8, dropout: 0 };

/** Captions as word indices (1 = start, 2 = end), 2 per image, lengths 4..6 so padding and masks matter. */
function tinyBatch() {
  const captions = [
    [[1, 3, 4, 2], [1, 5, 6, 7, 8, 2]],
    [[1, 9, 4, 10, 2], [1, 3, 11, 2]],
    [[1, 6, 6, 2], [1, 7, 9, 5, 2]],
  ];
  return makeCaptionBatch(
    captions.map((c, i) => ({ features: Float32Array.from({ length: config.featureDim }, (_, k) => Math.sin(i * 7.1 + k * 1.3)), captions: c })),
    config.featureDim,
  );
}

/** Mean loss per token of each step, and the kernel set the run got (on the current tfjs backend). */
export async function captionRun(requested: { fusedKernels: boolean; precision: 'float32' | 'mixed_float16' }): Promise<{ losses: number[]; choice: KernelChoice }> {
  const choice = await chooseModelKernels(requested);
  const replica = new CaptionReplicaModel({ config, layout: 'sequence', learningRate: 0.05, seed: 5, precision: choice.precision });
  const batch = tinyBatch();
  const losses: number[] = [];
  try {
    for (let step = 0; step < captionSteps; step++) {
      const { lossSum, gradients, tokenCount } = replica.gradientTensors(batch, step);
      try {
        losses.push((await lossSum.data())[0] / tokenCount);
        const means = tf.tidy(() => gradients.map((g) => g.div(tokenCount)));
        try {
          await replica.applyMeanTensors(means);
        } finally {
          tf.dispose(means);
        }
      } finally {
        tf.dispose([lossSum, ...gradients]);
      }
    }
  } finally {
    replica.dispose();
  }
  return { losses, choice };
}
