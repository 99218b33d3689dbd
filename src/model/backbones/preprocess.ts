/**
 * Input preprocessing, as Keras' `preprocess_input` does it for each backbone.
 * Input everywhere: [batch, size, size, 3] float32 RGB in 0..255.
 */
import * as tf from '@tensorflow/tfjs';

/** ImageNet channel means in BGR order, as Keras' caffe mode subtracts them. */
export const CAFFE_BGR_MEANS = [103.939, 116.779, 123.68] as const;

/**
 * VGG16 (`keras.applications.vgg16.preprocess_input`, caffe mode): RGB → BGR, subtract the ImageNet
 * channel means, no scaling.
 * @returns [batch, h, w, 3] BGR, mean-centred.
 */
export function preprocessCaffe(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.reverse(rgb, -1), tf.tensor1d([...CAFFE_BGR_MEANS])) as tf.Tensor4D);
}

/**
 * MobileNet (`keras.applications.mobilenet.preprocess_input`, tf mode): scale to [-1, 1].
 * @returns [batch, h, w, 3] RGB in -1..1.
 */
export function preprocessTf(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.div(rgb, 127.5), 1) as tf.Tensor4D);
}
