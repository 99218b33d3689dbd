/**
 * Backbone contract: the image CNN that turns a 224×224 RGB image into one feature vector per image.
 * Plain-data fields (name, id, featureDim, weights, weightsId) travel into the feature cache, the store and
 * the UI unchanged; the tfjs models stay behind `extract`/`classify`.
 */
import type { ResizeMethod } from '../images/decode.ts';
import type * as tf from '@tensorflow/tfjs';

/** `demo`: the small CNN pretrained by this project on the demo dataset's pictures (demoBackbone.ts). */
export type BackboneName = 'vgg16' | 'mobilenet' | 'demo';

/**
 * Where the weights came from, as reported next to every feature vector (cache header, UI, CLI output).
 * `'random'` means randomly initialised: features carry no ImageNet knowledge and must be labelled as such.
 */
export type WeightsSource = 'random' | { kind: 'files' | 'path' | 'url'; location: string };

/** Where to load weights from (a TensorFlow.js Layers model folder: model.json + weight shards). */
export type WeightsLocation =
  | { kind: 'random'; seed?: number }
  /** Node only: a folder path (or the path of its model.json). */
  | { kind: 'path'; path: string }
  /** URL of the model.json; shards are fetched next to it. */
  | { kind: 'url'; url: string }
  /** Browser: the picked files (model.json and every shard it names). */
  | { kind: 'files'; files: File[] };

export interface Backbone {
  readonly name: BackboneName;
  /**
   * Identity of topology + preprocessing (e.g. `vgg16`, `mobilenet_v1_0.25_224`); changes whenever the
   * features it produces would change for the same weights.
   */
  readonly id: string;
  /** Width of one feature vector: 4096 for VGG16 fc2, 1024·alpha for MobileNet v1, 39 for the demo CNN (its attribute probabilities). */
  readonly featureDim: number;
  /** Side of the square network input in pixels (224; the demo CNN: 64). */
  readonly inputSize: number;
  readonly weights: WeightsSource;
  /**
   * Content identity of the weights: `sha256:<hex>` of the weight bytes, or `random-he:<seed>` for random init (He-uniform, seeded).
   * Part of every feature cache key.
   */
  readonly weightsId: string;
  /**
   * @param rgb [batch, inputSize, inputSize, 3] float32 RGB in 0..255 (what `images/decode.ts` produces).
   * @returns features [batch, featureDim]; the caller disposes it.
   */
  extract(rgb: tf.Tensor4D): tf.Tensor2D;
  /**
   * @param rgb as for `extract`.
   * @returns class probabilities [batch, classes] (ImageNet: 1000; the demo CNN: its attribute heads side by
   *   side, DEMO_ATTRIBUTE_HEADS); the caller disposes it.
   */
  classify(rgb: tf.Tensor4D): tf.Tensor2D;
  /** The full Keras-named model (input → predictions). */
  readonly model: tf.LayersModel;
  dispose(): void;
}

/** What identifies a set of features: two stores with equal identity hold interchangeable vectors. */
export interface FeatureIdentity {
  backbone: BackboneName;
  backboneId: string;
  weights: WeightsSource;
  weightsId: string;
  featureDim: number;
  inputSize: number;
  /**
   * How images were resized to inputSize: 'bilinear' (default; absent means bilinear) or 'nearest' (Keras'
   * `load_img(target_size=…)` default, i.e. the notebook's exact preprocessing).
   */
  resize?: ResizeMethod;
}
