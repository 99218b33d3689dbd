/**
 * Backbones: `loadBackbone({ name, weights })` builds VGG16, MobileNet v1 (Keras' layer names) or the demo CNN
 * and fills it from a Layers model folder (files, URL, or — via loadWeightsNode.ts — a Node path) or at random.
 * The demo CNN's weights are committed (public/models/demo-backbone): it has no silent random default.
 */
import * as tf from '@tensorflow/tfjs';
import { assignKerasWeights, kerasMobilenetAlpha, kerasMobilenetClasses, refuseWithoutTop, type KerasAssignOptions } from '../keras/backboneWeights.ts';
import { kerasWeightsOf, type KerasWeightsInput } from '../keras/weightsInput.ts';
import { assignWeights, disposeWeights, readWeights, WeightsError, type LoadedWeights, type WeightsInput } from './loadWeights.ts';
import { buildDemoBackbone, DEMO_BACKBONE_FOLDER, DEMO_BACKBONE_INPUT, DEMO_FEATURE_DIM, DEMO_FEATURE_LAYER, demoBackboneId } from './demoBackbone.ts';
import { buildMobileNetV1, mobilenetFeatureDim, mobilenetId, MOBILENET_FEATURE_LAYER, type MobileNetConfig } from './mobilenet.ts';
import { preprocessCaffe, preprocessTf } from './preprocess.ts';
import type { Backbone, BackboneName, WeightsSource } from './types.ts';
import { buildVgg16, VGG16_FEATURE_LAYER, VGG16_KERAS, vgg16Id, type Vgg16Config } from './vgg16.ts';

export type { Backbone, BackboneName, WeightsLocation, WeightsSource } from './types.ts';
export { WeightsError, type WeightsInput } from './loadWeights.ts';
export { VGG16_KERAS, vgg16LayerSpecs, type Vgg16Config } from './vgg16.ts';
export type { MobileNetConfig } from './mobilenet.ts';
export { DEMO_BACKBONE_FOLDER, DEMO_BACKBONE_URL, DEMO_FEATURE_DIM } from './demoBackbone.ts';

export interface LoadBackboneOptions {
  name: BackboneName;
  /**
   * Default for VGG16 and MobileNet: random, seed 42 (labelled as random everywhere; this project ships no
   * ImageNet weights). The demo CNN has no default: pass its committed folder (DEMO_BACKBONE_URL in a page,
   * demoBackboneWeights() from demoBackboneNode.ts in Node) or `{ kind: 'random' }` on purpose.
   */
  weights?: WeightsInput;
  /** VGG16 only: a smaller VGG16 with the same names (tests); default Keras' VGG16. */
  vgg16?: Vgg16Config;
  /** MobileNet only: alpha (default: read from the weights' conv1, else 0.25), input size, classes. */
  mobilenet?: Partial<MobileNetConfig>;
}

export const DEFAULT_RANDOM_SEED = 42;

export { featureDimOf } from './featureWidths.ts';

export async function loadBackbone(options: LoadBackboneOptions): Promise<Backbone> {
  if (options.name === 'demo' && options.weights === undefined) {
    throw new WeightsError(
      `the demo backbone is pretrained: load its weights (${DEMO_BACKBONE_FOLDER}), or ask for random weights explicitly`,
    );
  }
  const weights = options.weights ?? { kind: 'random', seed: DEFAULT_RANDOM_SEED };
  const keras = kerasWeightsOf(weights);
  if (keras) return loadFromKeras(options, keras);
  let loaded: LoadedWeights | null = null;
  try {
    if (weights.kind !== 'random') loaded = await readWeights(weights);
    const init = weights.kind === 'random' ? { seed: weights.seed ?? DEFAULT_RANDOM_SEED } : ('zeros' as const);
    const source: WeightsSource = loaded ? loaded.source : 'random';
    const weightsId = loaded ? loaded.weightsId : `random-he:${init === 'zeros' ? 0 : init.seed}`;
    if (options.name === 'demo') {
      const model = buildDemoBackbone(init);
      if (loaded) assignOrDispose(model, loaded, 'the demo backbone');
      return makeBackbone('demo', demoBackboneId(), model, DEMO_FEATURE_LAYER, DEMO_BACKBONE_INPUT, preprocessTf, source, weightsId);
    }
    if (options.name === 'vgg16') {
      const config = options.vgg16 ?? VGG16_KERAS;
      const model = buildVgg16(config, init);
      if (loaded) assignOrDispose(model, loaded, 'VGG16');
      return makeBackbone('vgg16', vgg16Id(config), model, VGG16_FEATURE_LAYER, config.inputSize, preprocessCaffe, source, weightsId);
    }
    const alpha = options.mobilenet?.alpha ?? (loaded ? inferAlpha(loaded) : 0.25);
    const config: MobileNetConfig = { alpha, inputSize: options.mobilenet?.inputSize ?? 224, classes: options.mobilenet?.classes ?? inferClasses(loaded) };
    const model = buildMobileNetV1(config, init);
    if (loaded) assignOrDispose(model, loaded, `MobileNet v1 (alpha ${alpha})`);
    return makeBackbone('mobilenet', mobilenetId(config), model, MOBILENET_FEATURE_LAYER, config.inputSize, preprocessTf, source, weightsId);
  } finally {
    if (loaded) disposeWeights(loaded);
  }
}

/** From a Keras .h5/.keras file: the model is filled layer by layer as the file is read (src/model/keras). */
async function loadFromKeras(options: LoadBackboneOptions, input: KerasWeightsInput): Promise<Backbone> {
  const file = await input.open();
  try {
    if (options.name === 'vgg16') {
      const config = options.vgg16 ?? VGG16_KERAS;
      const assign: KerasAssignOptions = { network: 'vgg16', label: 'VGG16', inputSize: config.inputSize };
      refuseWithoutTop(file.index, assign);
      const model = buildVgg16(config, 'zeros');
      const weightsId = await assignKerasOrDispose(model, () => assignKerasWeights(model, file, assign));
      return makeBackbone('vgg16', vgg16Id(config), model, VGG16_FEATURE_LAYER, config.inputSize, preprocessCaffe, input.source, weightsId);
    }
    const alpha = options.mobilenet?.alpha ?? kerasMobilenetAlpha(file.index);
    const config: MobileNetConfig = { alpha, inputSize: options.mobilenet?.inputSize ?? 224, classes: options.mobilenet?.classes ?? kerasMobilenetClasses(file.index) };
    const assign: KerasAssignOptions = { network: 'mobilenet', label: `MobileNet v1 (alpha ${alpha})`, inputSize: config.inputSize, alpha };
    refuseWithoutTop(file.index, assign);
    const model = buildMobileNetV1(config, 'zeros');
    const weightsId = await assignKerasOrDispose(model, () => assignKerasWeights(model, file, assign));
    return makeBackbone('mobilenet', mobilenetId(config), model, MOBILENET_FEATURE_LAYER, config.inputSize, preprocessTf, input.source, weightsId);
  } finally {
    await file.close();
  }
}

async function assignKerasOrDispose(model: tf.LayersModel, assign: () => Promise<string>): Promise<string> {
  try {
    return await assign();
  } catch (error) {
    model.dispose();
    throw error;
  }
}

function assignOrDispose(model: tf.LayersModel, loaded: LoadedWeights, label: string): void {
  try {
    assignWeights(model, loaded, label);
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** conv1 has 32·alpha filters. */
function inferAlpha(loaded: LoadedWeights): number {
  const key = Object.keys(loaded.tensors).find((k) => k === 'conv1/kernel' || k.endsWith('/conv1/kernel'));
  if (!key) {
    throw new WeightsError(
      `the weights in ${loaded.source.kind} ${loaded.source.location} have no conv1/kernel, so they are not a Keras MobileNet v1`,
    );
  }
  return (loaded.tensors[key].shape[3] ?? 32) / 32;
}

function inferClasses(loaded: LoadedWeights | null): number {
  const key = loaded && Object.keys(loaded.tensors).find((k) => k === 'conv_preds/bias' || k.endsWith('/conv_preds/bias'));
  return key ? loaded!.tensors[key].shape[0] : 1000;
}

function makeBackbone(
  name: BackboneName,
  id: string,
  model: tf.LayersModel,
  featureLayer: string,
  inputSize: number,
  preprocess: (rgb: tf.Tensor4D) => tf.Tensor4D,
  weights: WeightsSource,
  weightsId: string,
): Backbone {
  const featureModel = tf.model({ inputs: model.inputs, outputs: model.getLayer(featureLayer).output as tf.SymbolicTensor });
  const featureDim = featureModel.outputs[0].shape[1] as number;
  // The whole batch in one pass: predict() cuts its input into batches of 32 by slicing, and the wasm backend's
  // slice copies the whole input out of its heap each time (a tenth of an extraction's time with the demo CNN).
  const run = (network: tf.LayersModel, input: tf.Tensor4D): tf.Tensor2D => network.execute(input, network.outputs[0].name) as tf.Tensor2D;
  return {
    name,
    id,
    featureDim,
    inputSize,
    weights,
    weightsId,
    model,
    extract: (rgb) => tf.tidy(() => run(featureModel, preprocess(rgb))),
    classify: (rgb) => tf.tidy(() => run(model, preprocess(rgb))),
    // featureModel shares the layers (and so the weights) of model: disposing model frees them.
    dispose: () => model.dispose(),
  };
}
