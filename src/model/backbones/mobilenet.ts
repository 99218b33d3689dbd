/**
 * MobileNet v1 (any alpha) with Keras' layer names (`keras.applications.MobileNet`): conv1, conv1_bn,
 * conv1_relu, conv_dw_N / conv_pw_N (+ _bn, _relu) for N = 1..13, global average pooling, and the
 * 1×1-convolution classifier `conv_preds`. Features: the global average pool (1024·alpha-d).
 *
 * Strided convolutions use 'same' padding; newer Keras writes them as ZeroPadding2D((0,1),(0,1)) + 'valid',
 * which computes the same numbers for even sizes and has no weights, so both conversions load.
 */
import * as tf from '@tensorflow/tfjs';

export interface MobileNetConfig {
  /** Width multiplier (0.25, 0.5, 0.75, 1.0 for the published weights). */
  alpha: number;
  inputSize: number;
  classes: number;
}

/** Pointwise filters of blocks 1..13 at alpha 1, and their depthwise strides. */
const POINTWISE_FILTERS = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
const DEPTHWISE_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1];

export const MOBILENET_FEATURE_LAYER = 'global_average_pooling2d_1';

import { mobilenetFeatureDim } from './featureWidths.ts';

export { mobilenetFeatureDim };

export function mobilenetId(config: MobileNetConfig): string {
  const classes = config.classes === 1000 ? '' : `_c${config.classes}`;
  return `mobilenet_v1_${config.alpha}_${config.inputSize}${classes}`;
}

/**
 * @returns model input [batch, size, size, 3] (RGB in -1..1) → probabilities [batch, classes].
 */
export function buildMobileNetV1(config: MobileNetConfig, init: 'zeros' | { seed: number } = 'zeros'): tf.LayersModel {
  let seedOffset = 0;
  // Random init is He (fan-in, ×2) rather than Keras' Glorot: with Glorot the 27 conv/relu6 layers shrink
  // activations to ~1e-17, leaving random features useless even as a baseline.
  const kernelInit = (depthwiseChannels = 1) =>
    init === 'zeros'
      ? tf.initializers.zeros()
      : // tfjs counts a depthwise kernel's fan-in as 3·3·channels, but each output sees one channel: scale back.
        tf.initializers.varianceScaling({ scale: 2 * depthwiseChannels, mode: 'fanIn', distribution: 'uniform', seed: init.seed + seedOffset++ });
  const { alpha } = config;
  const input = tf.input({ shape: [config.inputSize, config.inputSize, 3], name: 'input_1' });
  const bnRelu = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => {
    const normalised = tf.layers.batchNormalization({ name: `${name}_bn`, axis: -1, epsilon: 1e-3, momentum: 0.99 }).apply(x);
    return tf.layers.activation({ name: `${name}_relu`, activation: 'relu6' }).apply(normalised) as tf.SymbolicTensor;
  };
  let x = tf.layers
    .conv2d({ name: 'conv1', filters: Math.floor(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: kernelInit() })
    .apply(input) as tf.SymbolicTensor;
  x = bnRelu(x, 'conv1');
  let channels = Math.floor(32 * alpha);
  POINTWISE_FILTERS.forEach((filters, i) => {
    const block = i + 1;
    x = tf.layers
      .depthwiseConv2d({
        name: `conv_dw_${block}`,
        kernelSize: 3,
        strides: DEPTHWISE_STRIDES[i],
        padding: 'same',
        depthMultiplier: 1,
        useBias: false,
        depthwiseInitializer: kernelInit(channels),
      })
      .apply(x) as tf.SymbolicTensor;
    x = bnRelu(x, `conv_dw_${block}`);
    x = tf.layers
      .conv2d({ name: `conv_pw_${block}`, filters: Math.floor(filters * alpha), kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: kernelInit() })
      .apply(x) as tf.SymbolicTensor;
    x = bnRelu(x, `conv_pw_${block}`);
    channels = Math.floor(filters * alpha);
  });
  const featureDim = mobilenetFeatureDim(alpha);
  x = tf.layers.globalAveragePooling2d({ name: MOBILENET_FEATURE_LAYER }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ name: 'reshape_1', targetShape: [1, 1, featureDim] }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ name: 'dropout', rate: 1e-3 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ name: 'conv_preds', filters: config.classes, kernelSize: 1, padding: 'same', kernelInitializer: kernelInit() })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ name: 'act_softmax', activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ name: 'reshape_2', targetShape: [config.classes] }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: `mobilenet_${alpha}_${config.inputSize}` });
}
