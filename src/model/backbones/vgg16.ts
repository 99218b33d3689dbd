/**
 * VGG16 with exactly Keras' topology and layer names (`keras.applications.VGG16(include_top=True)`), so a
 * tensorflowjs_converter folder of `VGG16(weights='imagenet')` loads by weight name. Features: fc2 (4096-d),
 * as the notebook takes `model.layers[-2].output`.
 *
 * The topology is first written down as plain data (`vgg16LayerSpecs`), which tests check against Keras'
 * summary without allocating 138 M parameters; `buildVgg16` builds tf.layers from that list. A smaller
 * `Vgg16Config` keeps every name and the structure but shrinks widths: tests save and reload such a model.
 */
import * as tf from '@tensorflow/tfjs';
import { VGG16_FEATURE_DIM } from './featureWidths.ts';

export interface Vgg16Config {
  /** Square input side (224 for ImageNet weights). */
  inputSize: number;
  /** Filters of blocks 1..5 (Keras: 64, 128, 256, 512, 512). */
  blockFilters: [number, number, number, number, number];
  /** Units of fc1 and fc2 (Keras: 4096); also the feature width. */
  fcUnits: number;
  /** Classes of `predictions` (ImageNet: 1000). */
  classes: number;
}

export const VGG16_KERAS: Vgg16Config = {
  inputSize: 224,
  blockFilters: [64, 128, 256, 512, 512],
  fcUnits: VGG16_FEATURE_DIM,
  classes: 1000,
};

/** Convolutions per block, as in Keras. */
const CONVS_PER_BLOCK = [2, 2, 3, 3, 3];

export interface LayerSpec {
  name: string;
  className: 'InputLayer' | 'Conv2D' | 'MaxPooling2D' | 'Flatten' | 'Dense';
  /** Output shape without the batch axis. */
  outputShape: number[];
  params: number;
  units?: number;
  activation?: 'relu' | 'softmax';
}

/** The topology as data, in Keras' `model.summary()` order. */
export function vgg16LayerSpecs(config: Vgg16Config = VGG16_KERAS): LayerSpec[] {
  let side = config.inputSize;
  let channels = 3;
  const specs: LayerSpec[] = [{ name: 'input_1', className: 'InputLayer', outputShape: [side, side, 3], params: 0 }];
  config.blockFilters.forEach((filters, b) => {
    for (let c = 1; c <= CONVS_PER_BLOCK[b]; c++) {
      specs.push({
        name: `block${b + 1}_conv${c}`,
        className: 'Conv2D',
        outputShape: [side, side, filters],
        params: 3 * 3 * channels * filters + filters,
        units: filters,
        activation: 'relu',
      });
      channels = filters;
    }
    side = Math.floor(side / 2);
    specs.push({ name: `block${b + 1}_pool`, className: 'MaxPooling2D', outputShape: [side, side, channels], params: 0 });
  });
  const flat = side * side * channels;
  specs.push({ name: 'flatten', className: 'Flatten', outputShape: [flat], params: 0 });
  const dense = (name: string, inputs: number, units: number, activation: 'relu' | 'softmax'): LayerSpec => ({
    name,
    className: 'Dense',
    outputShape: [units],
    params: inputs * units + units,
    units,
    activation,
  });
  specs.push(dense('fc1', flat, config.fcUnits, 'relu'));
  specs.push(dense('fc2', config.fcUnits, config.fcUnits, 'relu'));
  specs.push(dense('predictions', config.fcUnits, config.classes, 'softmax'));
  return specs;
}

/**
 * Builds the Keras-named VGG16. `init: 'zeros'` skips random initialisation (fast) when weights are loaded
 * right after; `{ seed }` gives seeded He-uniform kernels and zero biases.
 * @returns model input [batch, size, size, 3] (caffe-preprocessed BGR) → predictions [batch, classes].
 */
export function buildVgg16(config: Vgg16Config = VGG16_KERAS, init: 'zeros' | { seed: number } = 'zeros'): tf.LayersModel {
  let layerIndex = 0;
  // Random init is He (fan-in, ×2), not Keras' Glorot, so activations keep their scale through the 15 relu
  // layers and random features stay usable as a baseline.
  const kernelInitializer = (): ReturnType<typeof tf.initializers.zeros> =>
    init === 'zeros'
      ? tf.initializers.zeros()
      : tf.initializers.varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'uniform', seed: init.seed + layerIndex++ });
  const specs = vgg16LayerSpecs(config);
  const input = tf.input({ shape: specs[0].outputShape, name: specs[0].name });
  let x: tf.SymbolicTensor = input;
  for (const spec of specs.slice(1)) {
    if (spec.className === 'Conv2D') {
      x = tf.layers
        .conv2d({ name: spec.name, filters: spec.units!, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: kernelInitializer() })
        .apply(x) as tf.SymbolicTensor;
    } else if (spec.className === 'MaxPooling2D') {
      x = tf.layers.maxPooling2d({ name: spec.name, poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
    } else if (spec.className === 'Flatten') {
      x = tf.layers.flatten({ name: spec.name }).apply(x) as tf.SymbolicTensor;
    } else if (spec.className === 'Dense') {
      x = tf.layers
        .dense({ name: spec.name, units: spec.units!, activation: spec.activation, kernelInitializer: kernelInitializer() })
        .apply(x) as tf.SymbolicTensor;
    }
  }
  return tf.model({ inputs: input, outputs: x, name: 'vgg16' });
}

/** Name of the layer whose output is the feature vector. */
export const VGG16_FEATURE_LAYER = 'fc2';

export function vgg16Id(config: Vgg16Config): string {
  const isKeras = JSON.stringify(config) === JSON.stringify(VGG16_KERAS);
  return isKeras
    ? 'vgg16'
    : `vgg16-custom_${config.inputSize}_${config.blockFilters.join('-')}_${config.fcUnits}_${config.classes}`;
}
