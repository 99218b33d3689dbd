import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asParams, CaptionModel, decoderLogits, imageBranch, type CaptionModelConfig } from '../../../src/model/captionModel';
import { beamSearch, captionWords, greedyDecode } from '../../../src/model/decode';
import { lstmUnrolled } from '../../../src/model/ops';

const config: CaptionModelConfig = { vocabSize: 12, maxLength: 8, featureDim: 5, units: 6, embedDim: 4, dropout: 0.4 };
const options = { startId: 1, endId: 2, maxSteps: 8 };
let model: CaptionModel;
const images = 7;
const features = Float32Array.from({ length: images * config.featureDim }, (_, i) => Math.cos(i * 1.7) * 3);

/** The notebook's predict_caption: re-run the whole pre-padded prefix for each new word. */
function notebookGreedy(imageIndex: number): number[] {
  const seq = [options.startId];
  const out: number[] = [];
  for (let i = 0; i < options.maxSteps; i++) {
    const word = tf.tidy(() => {
      const p = asParams(model.variables);
      const padded = [...new Array(config.maxLength - seq.length).fill(0), ...seq];
      const x = tf.gather(p.embeddings, tf.tensor1d(padded, 'int32')).expandDims(0) as tf.Tensor3D;
      const masks = padded.map((t) => tf.tensor2d([t === 0 ? 0 : 1], [1, 1]));
      const [h] = lstmUnrolled(x, masks, p.lstm, false);
      const f = tf.tensor2d(features.slice(imageIndex * 5, imageIndex * 5 + 5), [1, 5]);
      return decoderLogits(p, imageBranch(p, f, { dropout: 0 }), h).argMax(1).dataSync()[0];
    });
    if (word === 0) break;
    out.push(word);
    seq.push(word);
    if (word === options.endId) break;
  }
  return out;
}

describe('decoding', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = CaptionModel.random(config, 3);
  });
  afterAll(() => model.dispose());

  it('batched greedy gives the captions of one-at-a-time greedy and of the notebook loop', async () => {
    const batched = await greedyDecode(model.variables, config, features, options);
    for (let i = 0; i < images; i++) {
      const [single] = await greedyDecode(model.variables, config, features.slice(i * 5, i * 5 + 5), options);
      expect(single.tokens).toEqual(batched[i].tokens);
      expect(notebookGreedy(i)).toEqual(batched[i].tokens);
    }
    expect(new Set(batched.map((b) => b.tokens.join(','))).size).toBeGreaterThan(1);
  });

  it('beam width 1 is greedy; wider beams score at least as well; top-k alternatives are sorted', async () => {
    const greedy = await greedyDecode(model.variables, config, features, { ...options, topK: 3 });
    for (let i = 0; i < images; i++) {
      const f = features.slice(i * 5, i * 5 + 5);
      const one = await beamSearch(model.variables, config, f, 1, options);
      expect(one.tokens).toEqual(greedy[i].tokens);
      const three = await beamSearch(model.variables, config, f, 3, { ...options, topK: 3 });
      const ended = (t: number[]) => t[t.length - 1] === options.endId;
      if (ended(greedy[i].tokens) && ended(three.tokens)) expect(three.logProb).toBeGreaterThanOrEqual(greedy[i].logProb - 1e-5);
      expect(three.alternatives!.length - three.tokens.length).toBeOneOf([0, 1]);
      for (const alt of greedy[i].alternatives!) {
        expect(alt.ids).toHaveLength(3);
        expect(alt.probs[0]).toBeGreaterThanOrEqual(alt.probs[1]);
      }
    }
  });

  it('does not leak tensors', async () => {
    const before = tf.memory().numTensors;
    await greedyDecode(model.variables, config, features, { ...options, topK: 2 });
    await beamSearch(model.variables, config, features.slice(0, 5), 3, options);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('captionWords drops markers and stops at the end marker', () => {
    const words = ['', 'startseq', 'endseq', 'a', 'dog'];
    expect(captionWords([3, 4, 2, 3], (i) => words[i], { start: 'startseq', end: 'endseq' })).toEqual(['a', 'dog']);
  });
});
