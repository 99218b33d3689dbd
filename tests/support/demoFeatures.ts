/**
 * "Simple features" of demo scenes without a CNN: the scene's attributes (shape, colour, size, position,
 * relation, background of up to two objects) as one-hot blocks, pushed through a fixed seeded random
 * projection to `dim` values. What a perfect backbone would see, in a form the model must still decode;
 * used by tests and benches to show the model learns from the image (shuffled features do worse).
 */
import { DEMO_BACKGROUNDS, DEMO_COLOURS, DEMO_SHAPES, type DemoScene } from '../../src/core/data/demo';
import { deriveSeed, mulberry32, normal } from '../../src/core/rng';

const POSITIONS = ['centre', 'left', 'right', 'top', 'bottom'];
const RELATIONS = ['above', 'below', 'left-of', 'right-of'];

function attributes(scene: DemoScene): number[] {
  const colours = Object.keys(DEMO_COLOURS);
  const backgrounds = Object.keys(DEMO_BACKGROUNDS);
  const hot = (n: number, i: number) => Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
  const out: number[] = [];
  for (let o = 0; o < 2; o++) {
    const obj = scene.objects[o];
    out.push(...hot(DEMO_SHAPES.length, obj ? DEMO_SHAPES.indexOf(obj.shape) : -1));
    out.push(...hot(colours.length, obj ? colours.indexOf(obj.colour) : -1));
    out.push(...hot(2, obj ? (obj.size === 'small' ? 0 : 1) : -1));
  }
  out.push(...hot(POSITIONS.length, scene.position ? POSITIONS.indexOf(scene.position) : -1));
  out.push(...hot(RELATIONS.length, scene.relation ? RELATIONS.indexOf(scene.relation) : -1));
  out.push(...hot(backgrounds.length, backgrounds.indexOf(scene.background)));
  return out;
}

/** Scene name → [dim] feature vector (ReLU of a random projection, like a CNN's non-negative features). */
export function demoSceneFeatures(scenes: readonly DemoScene[], dim = 64, seed = 7): Map<string, Float32Array> {
  const width = attributes(scenes[0]).length;
  const rand = mulberry32(deriveSeed(seed, 'demo-features'));
  const projection = Float32Array.from({ length: width * dim }, () => normal(rand) / Math.sqrt(width));
  const features = new Map<string, Float32Array>();
  for (const scene of scenes) {
    const a = attributes(scene);
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) {
      let sum = 0;
      for (let i = 0; i < width; i++) sum += a[i] * projection[i * dim + j];
      v[j] = Math.max(0, sum) * 2;
    }
    features.set(scene.name, v);
  }
  return features;
}

/** The same vectors dealt to the wrong images (the control: any BLEU left comes from language alone). */
export function shuffledFeatures(features: ReadonlyMap<string, Float32Array>, seed = 3): Map<string, Float32Array> {
  const names = [...features.keys()];
  const vectors = [...features.values()];
  const rand = mulberry32(seed);
  for (let i = vectors.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [vectors[i], vectors[j]] = [vectors[j], vectors[i]];
  }
  return new Map(names.map((n, i) => [n, vectors[i]]));
}
