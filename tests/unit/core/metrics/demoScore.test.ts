import { describe, expect, it } from 'vitest';
import { generateDemoScenes } from '../../../../src/core/data/demo';
import { demoObjectScore, namedObjects, namesObjects, referenceObjects, sceneObjects } from '../../../../src/core/metrics/demoScore';

const redCircle = { colour: 'red', shape: 'circle' };
const blueSquare = { colour: 'blue', shape: 'square' };

describe('demo score (right colour and shape of each object)', () => {
  it('reads objects as colour + shape, and the two single-object templates that split them', () => {
    expect(namedObjects('a small red circle above a large blue square').objects).toEqual([redCircle, blueSquare]);
    expect(namedObjects('startseq a large circle that is red endseq')).toEqual({ objects: [redCircle], stray: [] });
    expect(namedObjects('a circle on the left, small and red')).toEqual({ objects: [redCircle], stray: [] });
    expect(namedObjects('a red a a a')).toEqual({ objects: [], stray: ['red'] });
  });

  it('a caption is right when it names exactly the objects, in any order, and nothing else', () => {
    expect(namesObjects('two shapes: a blue square and a red circle', [redCircle, blueSquare])).toBe(true);
    expect(namesObjects('a red square and a blue circle', [redCircle, blueSquare])).toBe(false); // colours swapped
    expect(namesObjects('a red circle', [redCircle, blueSquare])).toBe(false); // one missing
    expect(namesObjects('a red circle and a red circle', [redCircle, blueSquare])).toBe(false);
    expect(namesObjects('a red circle on a green background and a blue', [redCircle])).toBe(false); // stray colour
    expect(namesObjects('a a a a large a a', [redCircle])).toBe(false);
  });

  it('every generated caption names its scene; the references give the scene back', () => {
    for (const scene of generateDemoScenes({ images: 300, seed: 3 })) {
      for (const caption of scene.captions) expect(namesObjects(caption, sceneObjects(scene)), `${scene.name}: ${caption}`).toBe(true);
      expect(namesObjects(scene.captions[0], referenceObjects(scene.captions))).toBe(true);
    }
  });

  it('scores the share of right images', () => {
    const score = demoObjectScore([
      { name: 'a', caption: 'a red circle in the centre', expected: [redCircle] },
      { name: 'b', caption: 'a blue circle in the centre', expected: [redCircle] },
      { name: 'c', caption: 'a blue square below a red circle', expected: [redCircle, blueSquare] },
      { name: 'd', caption: 'anything', expected: [] },
    ]);
    expect(score).toMatchObject({ right: 2, images: 4, share: 0.5 });
    expect([...score.perImage]).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
      ['d', false],
    ]);
    expect(demoObjectScore([]).share).toBe(0);
  });
});
