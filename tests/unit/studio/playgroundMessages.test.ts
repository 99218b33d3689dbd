/** Playground messages name a file once, whatever layer put the name into the error. */
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../../src/model/images/decode';
import { StudioSession } from '../../../src/studio/session';
import type { Captioner } from '../../../src/model/captioner';
import type { StudioModel } from '../../../src/studio/model';
import { toStudioError } from '../../../src/studio/ports';
import { testStore } from '../../support/studioStore';

const captioner: StudioModel = {
  info: { source: 'archive', label: 'model.zip', vocabSize: 5, maxLength: 4, featureDim: 4 },
  captioner: {} as Captioner, // the playground captions through the model itself
  caption: async () => ({ caption: 'a dog', steps: [] }),
  exportArchive: async () => new Uint8Array(),
  dispose: () => undefined,
};

describe('playground messages', () => {
  it('an undecodable file is named once: "Captioning notes.jpg: the browser cannot decode it (…)"', async () => {
    const { store } = testStore();
    const session = new StudioSession(store, { loaded: () => null, corpus: () => null }, {
      importArchive: async () => captioner,
      featuresOf: async ([image]) => {
        throw new ImageDecodeError(image.name, 'the browser cannot decode it (unknown format)');
      },
    });
    await session.importArchive({ name: 'model.zip', bytes: new Uint8Array() });
    await session.captionImages([{ name: 'notes.jpg', bytes: new Uint8Array([1, 2, 3]), imageUrl: null }]);
    const [item] = store.getState().playground.items;
    expect(item.status).toBe('failed');
    expect(item.error?.message).toBe('Captioning notes.jpg: the browser cannot decode it (unknown format)');
    expect(item.error?.message.split('notes.jpg')).toHaveLength(2);
    await session.dispose();
  });

  it('keeps a name the message gives that the heading does not', () => {
    const error = Object.assign(new Error('model.json: names group7-shard1of1, which is not among the files you picked'), { name: 'WeightsError' });
    expect(toStudioError(error, 'Feature extraction').message).toBe('Feature extraction: model.json: names group7-shard1of1, which is not among the files you picked');
  });
});
