import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../src/core/data/folders';
import { asParams, CaptionModel, decoderLogits, imageBranch, initialWeights, type CaptionModelConfig } from '../../../src/model/captionModel';
import { lstmUnrolled } from '../../../src/model/ops';
import { encodeCaptionModel, loadCaptionModel } from '../../../src/model/weightsIo';

const V = 11;
const L = 6;
const F = 5;

/**
 * The notebook's Keras model, built with tfjs Layers under the same layer names. Keras 2 (TF 2, the
 * notebook's) gates the LSTM with `sigmoid`; tfjs Layers defaults to the old `hardSigmoid`, which made this
 * reference differ from the notebook's model by up to ~1e-4 depending on the random weights.
 */
function notebookLayersModel(): tf.LayersModel {
  const inputs1 = tf.input({ shape: [F], name: 'input_1' });
  const fe1 = tf.layers.dropout({ rate: 0.4, name: 'dropout' }).apply(inputs1) as tf.SymbolicTensor;
  const fe2 = tf.layers.dense({ units: 4, activation: 'relu', name: 'dense' }).apply(fe1) as tf.SymbolicTensor;
  const inputs2 = tf.input({ shape: [L], name: 'input_2' });
  const se1 = tf.layers.embedding({ inputDim: V, outputDim: 3, maskZero: true, name: 'embedding' }).apply(inputs2) as tf.SymbolicTensor;
  const se2 = tf.layers.dropout({ rate: 0.4, name: 'dropout_1' }).apply(se1) as tf.SymbolicTensor;
  const se3 = tf.layers.lstm({ units: 4, name: 'lstm', biasInitializer: 'randomNormal', recurrentActivation: 'sigmoid' }).apply(se2) as tf.SymbolicTensor;
  const decoder1 = tf.layers.add({ name: 'add' }).apply([fe2, se3]) as tf.SymbolicTensor;
  const decoder2 = tf.layers.dense({ units: 4, activation: 'relu', name: 'dense_1' }).apply(decoder1) as tf.SymbolicTensor;
  const outputs = tf.layers.dense({ units: V, activation: 'softmax', name: 'dense_2' }).apply(decoder2) as tf.SymbolicTensor;
  return tf.model({ inputs: [inputs1, inputs2], outputs });
}

async function layersModelFiles(model: tf.LayersModel): Promise<Record<string, Uint8Array | string>> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const modelJson = { format: 'layers-model', modelTopology: saved!.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: saved!.weightSpecs }] };
  return { 'model.json': JSON.stringify(modelJson), 'group1-shard1of1.bin': new Uint8Array(saved!.weightData as ArrayBuffer), 'tokenizer.json': '{"class_name":"Tokenizer"}' };
}

describe('weights io', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(() => tf.disposeVariables());

  it('loads a Keras-layout model by layer name and predicts what tfjs Layers predicts (masking, gate order)', async () => {
    const keras = notebookLayersModel();
    const loaded = await loadCaptionModel(memoryFolder('nb', await layersModelFiles(keras)));
    expect(loaded.source).toBe('keras');
    expect(loaded.config).toMatchObject({ vocabSize: V, maxLength: L, featureDim: F, units: 4, embedDim: 3 });
    const model = new CaptionModel(loaded.config, loaded.weights);
    const features = tf.randomNormal([3, F], 0, 1, 'float32', 1);
    const seqs = tf.tensor2d([[0, 0, 0, 1, 4, 7], [0, 0, 0, 0, 0, 1], [1, 2, 3, 4, 5, 6]], [3, L]);
    const expected = (keras.predict([features, seqs]) as tf.Tensor).arraySync() as number[][];
    const ours = tf.tidy(() => {
      const p = asParams(model.variables);
      const ids = seqs.arraySync() as number[][];
      const x = tf.gather(p.embeddings, seqs.toInt()) as unknown as tf.Tensor3D;
      const masks = ids[0].map((_, t) => tf.tensor2d(ids.map((row) => (row[t] === 0 ? 0 : 1)), [3, 1]));
      const [h] = lstmUnrolled(x, masks, p.lstm, false);
      return tf.softmax(decoderLogits(p, imageBranch(p, features as tf.Tensor2D, { dropout: 0 }), h)).arraySync();
    });
    for (let r = 0; r < 3; r++) for (let v = 0; v < V; v++) expect(ours[r][v]).toBeCloseTo(expected[r][v], 6);
    model.dispose();
    keras.dispose();
    tf.dispose([features, seqs]);
  });

  it('refuses an LSTM gated by another activation (tfjs Layers\' old hardSigmoid default), naming the layer', async () => {
    const files = await layersModelFiles(notebookLayersModel());
    const json = (files['model.json'] as string).replace('"recurrent_activation":"sigmoid"', '"recurrent_activation":"hard_sigmoid"');
    expect(json).toContain('"recurrent_activation":"hard_sigmoid"');
    await expect(loadCaptionModel(memoryFolder('nb', { ...files, 'model.json': json }))).rejects.toThrow(
      /model\.json: layer lstm uses recurrent_activation 'hard_sigmoid' and activation 'tanh'/,
    );
  });

  it('finds renumbered layers (dense_4 …) by their place in the topology', async () => {
    const files = await layersModelFiles(notebookLayersModel());
    let json = files['model.json'] as string;
    for (const [from, to] of [['dense_2', 'dense_9'], ['dense_1', 'dense_8'], ['dense', 'dense_7'], ['lstm', 'lstm_3']]) {
      json = json.replaceAll(`"${from}"`, `"${to}"`).replaceAll(`${from}/`, `${to}/`);
    }
    const loaded = await loadCaptionModel(memoryFolder('nb', { ...files, 'model.json': json }));
    expect(loaded.config.vocabSize).toBe(V);
  });

  it('round-trips our own format and names the layer when a shape is wrong', async () => {
    const config: CaptionModelConfig = { vocabSize: 9, maxLength: 5, featureDim: 4, units: 3, embedDim: 2, dropout: 0.4 };
    const weights = initialWeights(config, 1);
    const files = encodeCaptionModel(config, weights, '{"tok":1}', { protocol: 'standard', epochsTrained: 2 });
    const loaded = await loadCaptionModel(memoryFolder('m', files));
    expect(loaded.config).toEqual(config);
    expect(loaded.meta.epochsTrained).toBe(2);
    expect(loaded.tokenizerJson).toBe('{"tok":1}');
    loaded.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weights[i])));
    const bad = JSON.parse(files['model.json'] as string);
    bad.weightsManifest[0].weights[3].shape = [12, 2];
    await expect(loadCaptionModel(memoryFolder('m', { ...files, 'model.json': JSON.stringify(bad) }))).rejects.toThrow(/layer lstm: weight kernel has shape \[12,2\], expected \[2,12\]/);
    await expect(loadCaptionModel(memoryFolder('empty', { 'x.txt': '' }))).rejects.toThrow(/no model.json/);
  });
});
