/**
 * The demo backbone: a small CNN this project trains itself on pictures of the demo generator
 * (src/core/data/demo.ts), so the embedded demo has image features that carry what its captions say. VGG16 and
 * MobileNet know ImageNet photos, not flat shapes on three backgrounds.
 *
 *   input_1 [64, 64, 3] (RGB in -1..1) → conv1 16 → pool1 → conv2 32 → pool2 → conv3 48 → pool3 → conv4 64
 *   → pool4 → flatten (4·4·64) → hidden (dense 128, relu) → one softmax head per attribute → attributes
 *
 * All convolutions are 3×3, 'same', relu; pools are 2×2 max. Flatten, not global pooling, keeps where things
 * are: captions say "on the left". The features the caption model gets are `attributes`: the 8 heads'
 * probabilities side by side (DEMO_ATTRIBUTE_HEADS, 39 values), what the network sees in the form the caption
 * model reads at once, as VGG16's notebook features are its top layers. (Its 128-d `hidden` layer carries the
 * same information, but a caption model trained on the 210 pictures of the default demo named the right shape
 * and colour of every object in 44% of the test pictures from it, against 78% from `attributes`.)
 */
import * as tf from '@tensorflow/tfjs';
import type { DemoScene } from '../../core/data/demo.ts';

/** Side of the square input: the demo's 128-pixel pictures halved (the extractor resizes bilinearly). */
export const DEMO_BACKBONE_INPUT = 64;
export const DEMO_HIDDEN_LAYER = 'hidden';
export const DEMO_HIDDEN_UNITS = 128;
export const DEMO_FEATURE_LAYER = 'attributes';
/** Filters of conv1..conv4. */
export const DEMO_CONV_FILTERS = [16, 32, 48, 64] as const;
/** Where the committed weights live: `public/` is served at the page's root and read by Node from the checkout. */
export const DEMO_BACKBONE_FOLDER = 'public/models/demo-backbone';
/** The committed weights' model.json as the page fetches it (relative to the page's base URL). */
export const DEMO_BACKBONE_URL = 'models/demo-backbone/model.json';

export { DEMO_ATTRIBUTE_HEADS, DEMO_ATTRIBUTE_WIDTH, DEMO_FEATURE_DIM, DEMO_LAYOUTS, type AttributeHead } from './featureWidths.ts';
import { DEMO_ATTRIBUTE_HEADS, DEMO_ATTRIBUTE_WIDTH, DEMO_FEATURE_DIM } from './featureWidths.ts';

export function demoBackboneId(): string {
  return `demo-cnn_${DEMO_BACKBONE_INPUT}_${DEMO_CONV_FILTERS.join('-')}_${DEMO_HIDDEN_UNITS}_${DEMO_FEATURE_LAYER}${DEMO_FEATURE_DIM}`;
}

/**
 * Builds the Keras-style model (input → `attributes`). `init: 'zeros'` when weights are loaded right after;
 * `{ seed }` gives seeded He-uniform kernels (the starting point of the pretraining, or random weights chosen
 * on purpose).
 */
export function buildDemoBackbone(init: 'zeros' | { seed: number } = 'zeros'): tf.LayersModel {
  let layerIndex = 0;
  const kernelInitializer = (): ReturnType<typeof tf.initializers.zeros> =>
    init === 'zeros'
      ? tf.initializers.zeros()
      : tf.initializers.varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'uniform', seed: init.seed + layerIndex++ });
  const input = tf.input({ shape: [DEMO_BACKBONE_INPUT, DEMO_BACKBONE_INPUT, 3], name: 'input_1' });
  let x: tf.SymbolicTensor = input;
  DEMO_CONV_FILTERS.forEach((filters, i) => {
    x = tf.layers
      .conv2d({ name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: kernelInitializer() })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const hidden = tf.layers
    .dense({ name: DEMO_HIDDEN_LAYER, units: DEMO_HIDDEN_UNITS, activation: 'relu', kernelInitializer: kernelInitializer() })
    .apply(x) as tf.SymbolicTensor;
  const heads = DEMO_ATTRIBUTE_HEADS.map(
    (head) =>
      tf.layers
        .dense({ name: head.name, units: head.classes.length, activation: 'softmax', kernelInitializer: kernelInitializer() })
        .apply(hidden) as tf.SymbolicTensor,
  );
  const attributes = tf.layers.concatenate({ name: DEMO_FEATURE_LAYER, axis: -1 }).apply(heads) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: attributes, name: 'demo_backbone' });
}

/** Splits `attributes` rows ([batch, DEMO_ATTRIBUTE_WIDTH] probabilities) into each head's most likely class. */
export function decodeAttributes(probabilities: Float32Array, batch: number): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < batch; b++) {
    let offset = b * DEMO_ATTRIBUTE_WIDTH;
    out.push(
      DEMO_ATTRIBUTE_HEADS.map((head) => {
        let best = 0;
        for (let k = 1; k < head.classes.length; k++) if (probabilities[offset + k] > probabilities[offset + best]) best = k;
        offset += head.classes.length;
        return best;
      }),
    );
  }
  return out;
}
