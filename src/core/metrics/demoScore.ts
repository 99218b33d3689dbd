/**
 * The demo score: the share of images whose caption names the right colour and shape of each object, what a
 * student checks at a glance on the demo dataset ("a red circle above a blue square" for that picture), where
 * BLEU also counts word order and template choice. Sizes and positions are not part of it.
 *
 * A caption names an object as a colour word followed by a shape word ("a small red circle"); the two single-
 * object templates that separate them ("a large circle that is red", "a circle on the left, small and red")
 * name it by one colour and one shape anywhere. Any other colour or shape word makes the caption wrong: naming
 * a third object, or a colour with no shape, is not naming the picture's objects. Markers such as startseq are
 * neither and are ignored. No tfjs, no DOM.
 */
import { DEMO_COLOURS, DEMO_SHAPES, type DemoScene } from '../data/demo.ts';

export interface NamedObject {
  colour: string;
  shape: string;
}

const COLOURS = new Set<string>(Object.keys(DEMO_COLOURS));
const SHAPES = new Set<string>(DEMO_SHAPES);

export interface CaptionObjects {
  objects: NamedObject[];
  /** Colour or shape words that name no object (a colour without its shape, …). */
  stray: string[];
}

/** The objects a caption names, in its order. */
export function namedObjects(caption: string): CaptionObjects {
  const words = caption.toLowerCase().split(/[^a-z]+/).filter(Boolean);
  const objects: NamedObject[] = [];
  const leftColours: string[] = [];
  const leftShapes: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (COLOURS.has(words[i]) && SHAPES.has(words[i + 1])) {
      objects.push({ colour: words[i], shape: words[i + 1] });
      i++;
    } else if (COLOURS.has(words[i])) leftColours.push(words[i]);
    else if (SHAPES.has(words[i])) leftShapes.push(words[i]);
  }
  // "a large circle that is red": one colour and one shape, apart, in a caption with no adjacent pair.
  if (objects.length === 0 && leftColours.length === 1 && leftShapes.length === 1) {
    return { objects: [{ colour: leftColours[0], shape: leftShapes[0] }], stray: [] };
  }
  return { objects, stray: [...leftColours, ...leftShapes] };
}

const key = (objects: readonly NamedObject[]): string =>
  objects
    .map((o) => `${o.colour} ${o.shape}`)
    .sort()
    .join(' & ');

/** True when the caption names exactly these objects (each by its colour and shape, in any order) and nothing else. */
export function namesObjects(caption: string, expected: readonly NamedObject[]): boolean {
  const named = namedObjects(caption);
  return named.stray.length === 0 && key(named.objects) === key(expected);
}

/** The objects of a generated scene. */
export function sceneObjects(scene: Pick<DemoScene, 'objects'>): NamedObject[] {
  return scene.objects.map((o) => ({ colour: o.colour, shape: o.shape }));
}

/**
 * The objects the reference captions of a demo image name (the set most of them agree on: every demo caption
 * names every object), for a dataset whose scenes are not at hand (a folder, the Evaluation panel's grid).
 * Empty when no reference names any object (not a demo image).
 */
export function referenceObjects(references: readonly string[]): NamedObject[] {
  const counts = new Map<string, { objects: NamedObject[]; count: number }>();
  for (const reference of references) {
    const named = namedObjects(reference);
    if (named.objects.length === 0) continue;
    const k = key(named.objects);
    const entry = counts.get(k) ?? { objects: named.objects, count: 0 };
    entry.count++;
    counts.set(k, entry);
  }
  let best: { objects: NamedObject[]; count: number } | null = null;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  return best?.objects ?? [];
}

export interface DemoScoreItem {
  name: string;
  /** The model's caption (markers may be present). */
  caption: string;
  expected: readonly NamedObject[];
}

export interface DemoObjectScore {
  /** right / images (0 when there are no images). */
  share: number;
  right: number;
  images: number;
  /** Image name → whether its caption names the right colour and shape of each object. */
  perImage: Map<string, boolean>;
}

export function demoObjectScore(items: readonly DemoScoreItem[]): DemoObjectScore {
  const perImage = new Map<string, boolean>();
  let right = 0;
  for (const item of items) {
    const ok = item.expected.length > 0 && namesObjects(item.caption, item.expected);
    perImage.set(item.name, ok);
    if (ok) right++;
  }
  return { share: items.length ? right / items.length : 0, right, images: items.length, perImage };
}
