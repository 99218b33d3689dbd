/**
 * The Model panel's import of a notebook model: a Keras-layout tfjs Layers model (what tensorflowjs_converter
 * writes for the notebook's model.h5) plus the notebook's tokenizer JSON becomes a Captioner that captions
 * with the notebook's markers, and survives our own archive round trip.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../../../src/core/text/tokenizer';
import { unzipModelArchive } from '../../../src/model/archive';
import { studioModelFromFiles } from '../../../src/studio/model';

const F = 5;
const L = 6;

function notebookModel(vocab: number): tf.LayersModel {
  const in1 = tf.input({ shape: [F], name: 'input_1' });
  const fe = tf.layers.dense({ units: 4, activation: 'relu', name: 'dense' }).apply(tf.layers.dropout({ rate: 0.4, name: 'dropout' }).apply(in1)) as tf.SymbolicTensor;
  const in2 = tf.input({ shape: [L], name: 'input_2' });
  const emb = tf.layers.embedding({ inputDim: vocab, outputDim: 3, maskZero: true, name: 'embedding' }).apply(in2) as tf.SymbolicTensor;
  const se = tf.layers.lstm({ units: 4, name: 'lstm', recurrentActivation: 'sigmoid' /* Keras 2's, not tfjs' hardSigmoid */ }).apply(tf.layers.dropout({ rate: 0.4, name: 'dropout_1' }).apply(emb)) as tf.SymbolicTensor;
  const add = tf.layers.add({ name: 'add' }).apply([fe, se]) as tf.SymbolicTensor;
  const d1 = tf.layers.dense({ units: 4, activation: 'relu', name: 'dense_1' }).apply(add) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: vocab, activation: 'softmax', name: 'dense_2' }).apply(d1) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [in1, in2], outputs: out });
  // Random init could make index 0 (no word) the best first guess, which ends the caption at once: make
  // index 0 unlikely so the test always sees words.
  const last = model.getLayer('dense_2');
  const [kernel, bias] = last.getWeights();
  const biasValues = bias.arraySync() as number[];
  biasValues[0] = -20;
  last.setWeights([kernel, tf.tensor1d(biasValues)]);
  return model;
}

async function convertedFiles(model: tf.LayersModel): Promise<Record<string, Uint8Array | string>> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const modelJson = { format: 'layers-model', modelTopology: saved!.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: saved!.weightSpecs }] };
  return { 'model.json': JSON.stringify(modelJson), 'group1-shard1of1.bin': new Uint8Array(saved!.weightData as ArrayBuffer) };
}

describe('notebook model import', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  it('captions with a converted notebook model and its tokenizer, and re-exports as our archive', async () => {
    const tokenizer = new Tokenizer();
    tokenizer.fitOnTexts(['startseq a dog runs endseq', 'startseq a cat sits endseq']);
    const vocab = tokenizer.wordIndex.size + 1;
    const keras = notebookModel(vocab);
    const files: Record<string, Uint8Array | string> = { ...(await convertedFiles(keras)), 'tokenizer.json': tokenizer.toJSON() };
    const captioner = await studioModelFromFiles(files, 'notebook model', 'notebook');
    expect(captioner.info).toMatchObject({ source: 'notebook', vocabSize: vocab, maxLength: L, featureDim: F });
    // The Model panel lists the notebook's layers by their Keras names.
    expect(captioner.info.weights?.map((w) => w.name)).toContain('lstm/recurrent_kernel');
    expect(captioner.info.weights?.find((w) => w.name === 'embedding/embeddings')?.shape).toEqual([vocab, 3]);
    const features = Float32Array.from({ length: F }, (_, i) => i / F);
    const steps: string[] = [];
    const result = await captioner.caption(features, { mode: 'greedy', beamWidth: 1, topK: 3, onStep: (s) => steps.push(s.word) });
    expect(result.steps.map((s) => s.word)).toEqual(steps);
    expect(result.steps.length).toBeGreaterThan(0);
    expect(result.steps.length).toBeLessThanOrEqual(L);
    for (const s of result.steps) expect(s.top[0].word).toBe(s.word); // greedy: the chosen word is the best one
    expect(result.caption).not.toMatch(/startseq|endseq/);

    const archive = await captioner.exportArchive();
    const again = await studioModelFromFiles(unzipModelArchive(archive, 'nb.zip'), 'nb', 'archive');
    expect((await again.caption(features, { mode: 'greedy', beamWidth: 1, topK: 0 })).caption).toBe(result.caption);
    await expect(studioModelFromFiles({ 'model.json': files['model.json'], 'group1-shard1of1.bin': files['group1-shard1of1.bin'] }, 'nb', 'notebook')).rejects.toThrow(
      /tokenizer\.json/,
    );
    expect(() => unzipModelArchive(new Uint8Array([80, 75, 5, 6, ...new Array(18).fill(0)]), 'empty.zip')).toThrow(/no model\.json/);
    captioner.dispose();
    again.dispose();
    keras.dispose();
  });
});
