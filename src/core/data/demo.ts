/**
 * The demo dataset the studio makes itself, deterministically from a seed: drawn PNG images of one or two
 * shapes (shape, colour, size, position, background) with 5 varied, grammatical captions each, written as a
 * Flickr8K-style folder (Images/*.png, a Kaggle captions.txt, Flickr_8k.{train,dev,test}Images.txt 70/15/15,
 * and demo.json saying how it was made).
 * Small enough to train on a laptop CPU in a minute or two; the captions depend on the pixels, so a model
 * whose image features carry no information visibly fails. No DOM, no tfjs (PNG encoding: ./png.ts).
 */

import { deriveSeed, mulberry32, pick, shuffle, type RandomSource } from '../rng.ts';
import { memoryFolder, type RangeFolder } from './folders.ts';
import { encodeRgbPng } from './png.ts';

export const DEMO_SHAPES = ['circle', 'square', 'triangle', 'star', 'diamond'] as const;
export type DemoShape = (typeof DEMO_SHAPES)[number];

export const DEMO_COLOURS = {
  red: [220, 40, 40],
  green: [40, 160, 60],
  blue: [40, 80, 220],
  yellow: [240, 210, 40],
  purple: [140, 60, 180],
  orange: [245, 140, 30],
} as const satisfies Record<string, readonly [number, number, number]>;
export type DemoColour = keyof typeof DEMO_COLOURS;

/** Background names as captions say them, with the RGB at the top of the (slightly graded) background. */
export const DEMO_BACKGROUNDS = {
  white: [246, 246, 242],
  grey: [170, 170, 170],
  black: [28, 28, 32],
} as const satisfies Record<string, readonly [number, number, number]>;
export type DemoBackground = keyof typeof DEMO_BACKGROUNDS;

export type DemoSize = 'small' | 'large';
/** Where a lone shape sits. */
export type DemoPosition = 'centre' | 'left' | 'right' | 'top' | 'bottom';
/**
 * How the first shape of a pair sits relative to the second. Scenes are generated with the upper or left shape
 * first, so only 'above' and 'left-of' occur; 'below' and 'right-of' are their inverses, which captions use
 * when they name the second shape first ("there is a blue square below a red circle").
 */
export type DemoRelation = 'above' | 'below' | 'left-of' | 'right-of';

export interface DemoObject {
  shape: DemoShape;
  colour: DemoColour;
  size: DemoSize;
  /** Centre and radius in pixels. */
  x: number;
  y: number;
  radius: number;
}

export interface DemoScene {
  /** File name as captions.txt names it, e.g. `demo_0001.png`. */
  name: string;
  background: DemoBackground;
  objects: DemoObject[];
  /** Set for one object. */
  position: DemoPosition | null;
  /** Set for two objects: objects[0] (the upper or left one) relative to objects[1]: 'above' or 'left-of'. */
  relation: DemoRelation | null;
  captions: string[];
  /** Which template produced each caption (for tests of variety). */
  templates: string[];
  split: 'train' | 'val' | 'test';
}

export interface DemoOptions {
  /** Number of images (default 300). */
  images?: number;
  /** Seed of everything (default 1). */
  seed?: number;
  /** Width and height of the square images in pixels (default 128; backbones resize to 224). */
  imageSize?: number;
}

// ---------- captions ----------

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
/** "a small red circle" (full) or "a red circle" (short). */
function phrase(o: DemoObject, full: boolean): string {
  const words = full ? [o.size, o.colour, o.shape] : [o.colour, o.shape];
  return `${article(words[0])} ${words.join(' ')}`;
}

const POSITION_PHRASES: Record<DemoPosition, string> = {
  centre: 'in the centre',
  left: 'on the left',
  right: 'on the right',
  top: 'at the top',
  bottom: 'at the bottom',
};
const RELATION_PHRASES: Record<DemoRelation, string[]> = {
  above: ['above'],
  below: ['below', 'under'],
  'left-of': ['to the left of', 'left of'],
  'right-of': ['to the right of', 'right of'],
};
const INVERSE: Record<DemoRelation, DemoRelation> = { above: 'below', below: 'above', 'left-of': 'right-of', 'right-of': 'left-of' };

type Template = (s: DemoScene, rand: RandomSource) => string;

const SINGLE_TEMPLATES: Record<string, Template> = {
  'one-plain': (s) => `${phrase(s.objects[0], true)} ${POSITION_PHRASES[s.position!]}`,
  'one-there-is': (s) => `there is ${phrase(s.objects[0], true)} ${POSITION_PHRASES[s.position!]}`,
  'one-background': (s) => `${phrase(s.objects[0], false)} on a ${s.background} background`,
  'one-shows': (s) => `the picture shows ${phrase(s.objects[0], true)}`,
  'one-is': (s) => `${phrase(s.objects[0], false)} is ${POSITION_PHRASES[s.position!]} of the picture`,
  'one-single': (s) => `a single ${s.objects[0].colour} ${s.objects[0].shape} ${POSITION_PHRASES[s.position!]}`,
  'one-that-is': (s) => `${article(s.objects[0].size)} ${s.objects[0].size} ${s.objects[0].shape} that is ${s.objects[0].colour}`,
  'one-comma': (s) =>
    `${article(s.objects[0].shape)} ${s.objects[0].shape} ${POSITION_PHRASES[s.position!]}, ${s.objects[0].size} and ${s.objects[0].colour}`,
};

const PAIR_TEMPLATES: Record<string, Template> = {
  'two-relation': (s, r) => `${phrase(s.objects[0], true)} ${pick(r, RELATION_PHRASES[s.relation!])} ${phrase(s.objects[1], true)}`,
  'two-there-is': (s, r) =>
    `there is ${phrase(s.objects[1], false)} ${pick(r, RELATION_PHRASES[INVERSE[s.relation!]])} ${phrase(s.objects[0], true)}`,
  'two-colon': (s) => `two shapes: ${phrase(s.objects[0], false)} and ${phrase(s.objects[1], false)}`,
  'two-is': (s, r) => `${phrase(s.objects[0], false)} is ${pick(r, RELATION_PHRASES[s.relation!])} ${phrase(s.objects[1], false)}`,
  // Names objects[0] first, as every pair template that starts with "a" does: a caption's first object must
  // not depend on which template the rest of it turns out to be ("a large red square" then "above …" or "with …").
  'two-with': (s, r) => `${phrase(s.objects[0], true)} with ${phrase(s.objects[1], false)} ${pick(r, RELATION_PHRASES[INVERSE[s.relation!]])} it`,
  'two-background': (s) => `${phrase(s.objects[0], false)} and ${phrase(s.objects[1], false)} on a ${s.background} background`,
  'two-comma': (s) =>
    `${phrase(s.objects[0], true)} and ${phrase(s.objects[1], true)}, ${s.relation === 'above' || s.relation === 'below' ? 'one above the other' : 'side by side'}`,
  'two-shows': (s, r) => `the picture shows ${phrase(s.objects[0], false)} ${pick(r, RELATION_PHRASES[s.relation!])} ${phrase(s.objects[1], false)}`,
};

export const DEMO_TEMPLATE_NAMES = [...Object.keys(SINGLE_TEMPLATES), ...Object.keys(PAIR_TEMPLATES)];

function writeCaptions(scene: DemoScene, rand: RandomSource): void {
  const templates = scene.objects.length === 1 ? SINGLE_TEMPLATES : PAIR_TEMPLATES;
  const shuffled = shuffle(rand, Object.keys(templates));
  const names = shuffled.slice(0, 5);
  // Every object's size must be named at least once: pairs need a template that names both sizes.
  const bothSizes = ['two-relation', 'two-comma'];
  if (scene.objects.length === 2 && !names.some((n) => bothSizes.includes(n))) {
    names[4] = shuffled.find((n) => bothSizes.includes(n))!;
  }
  scene.templates = names;
  scene.captions = names.map((name) => templates[name](scene, rand));
}

// ---------- scenes ----------

const POSITION_OFFSETS: Record<DemoPosition, [number, number]> = {
  centre: [0, 0],
  left: [-1, 0],
  right: [1, 0],
  top: [0, -1],
  bottom: [0, 1],
};

function makeObject(rand: RandomSource, size: number, x: number, y: number, taken?: DemoObject): DemoObject {
  let shape: DemoShape;
  let colour: DemoColour;
  // Two shapes of one picture differ in shape or colour, so every caption names them apart.
  do {
    shape = pick(rand, DEMO_SHAPES);
    colour = pick(rand, Object.keys(DEMO_COLOURS) as DemoColour[]);
  } while (taken && taken.shape === shape && taken.colour === colour);
  const objectSize: DemoSize = rand() < 0.5 ? 'small' : 'large';
  const radius = size * (objectSize === 'small' ? 0.09 + rand() * 0.02 : 0.17 + rand() * 0.03);
  return { shape, colour, size: objectSize, x, y, radius };
}

function makeScene(rand: RandomSource, index: number, digits: number, size: number): DemoScene {
  const jitter = () => (rand() - 0.5) * size * 0.08;
  const background = pick(rand, Object.keys(DEMO_BACKGROUNDS) as DemoBackground[]);
  const scene: DemoScene = {
    name: `demo_${String(index + 1).padStart(digits, '0')}.png`,
    background,
    objects: [],
    position: null,
    relation: null,
    captions: [],
    templates: [],
    split: 'train',
  };
  const mid = size / 2;
  if (rand() < 0.45) {
    const position = pick(rand, Object.keys(POSITION_OFFSETS) as DemoPosition[]);
    const [ox, oy] = POSITION_OFFSETS[position];
    scene.position = position;
    scene.objects.push(makeObject(rand, size, mid + ox * size * 0.27 + jitter(), mid + oy * size * 0.27 + jitter()));
  } else {
    const relation = pick(rand, ['above', 'below', 'left-of', 'right-of'] as DemoRelation[]);
    const [dx, dy] = { above: [0, -1], below: [0, 1], 'left-of': [-1, 0], 'right-of': [1, 0] }[relation];
    const spread = size * 0.24;
    // Perpendicular jitter only, so the relation stays unambiguous.
    const across = jitter();
    const first = makeObject(rand, size, mid + dx * spread + (dx === 0 ? across : 0), mid + dy * spread + (dy === 0 ? across : 0));
    const second = makeObject(rand, size, mid - dx * spread + (dx === 0 ? across : 0), mid - dy * spread + (dy === 0 ? across : 0), first);
    // Captions name objects[0] first. Were that either object, "a red circle above a blue square" and "a blue
    // square below a red circle" would describe one picture equally often, and no model could tell from the
    // pixels which to say: the upper (or left) object always comes first. The draws stay as they were, so a
    // seed still gives the same pictures.
    if (relation === 'below' || relation === 'right-of') {
      scene.relation = INVERSE[relation];
      scene.objects.push(second, first);
    } else {
      scene.relation = relation;
      scene.objects.push(first, second);
    }
  }
  writeCaptions(scene, rand);
  return scene;
}

// ---------- drawing ----------

/** Unit polygons (circumradius 1, pointing up) as flat [x0, y0, x1, y1, …]; circle, square, diamond are tested directly. */
function unitPolygon(points: number, innerRadius: number | null): Float64Array {
  const vertices = innerRadius === null ? points : points * 2;
  const flat = new Float64Array(vertices * 2);
  for (let k = 0; k < vertices; k++) {
    const r = innerRadius !== null && k % 2 === 1 ? innerRadius : 1;
    const a = (k * 2 * Math.PI) / vertices;
    flat[2 * k] = r * Math.sin(a);
    flat[2 * k + 1] = -r * Math.cos(a);
  }
  return flat;
}
const TRIANGLE = unitPolygon(3, null);
const STAR = unitPolygon(5, 0.45);

/** Even-odd rule point-in-polygon test. */
function insidePolygon(poly: Float64Array, x: number, y: number): boolean {
  let inside = false;
  const n = poly.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = poly[i];
    const yi = poly[i + 1];
    const xj = poly[j];
    const yj = poly[j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Point test in unit coordinates (object centre at 0, radius 1). */
function insideShape(shape: DemoShape, u: number, v: number): boolean {
  switch (shape) {
    case 'circle':
      return u * u + v * v <= 1;
    case 'square':
      return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8;
    case 'diamond':
      return Math.abs(u) + Math.abs(v) <= 1;
    case 'triangle':
      return insidePolygon(TRIANGLE, u, v);
    case 'star':
      return insidePolygon(STAR, u, v);
  }
}

// 2×2 supersampling: edges get partial coverage (anti-aliasing) at 4 point tests per pixel.
const SUBSAMPLES = [0.25, 0.75];

/** Renders a scene into RGB bytes (size × size × 3, row-major). */
export function renderScene(scene: DemoScene, size: number): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  const [br, bg, bb] = DEMO_BACKGROUNDS[scene.background];
  for (let y = 0; y < size; y++) {
    // A gentle vertical gradient, so backgrounds are not flat colour.
    const shade = 1 - (0.12 * y) / size;
    const r = Math.round(br * shade + 12 * (1 - shade));
    const g = Math.round(bg * shade + 12 * (1 - shade));
    const b = Math.round(bb * shade + 12 * (1 - shade));
    for (let x = 0, p = y * size * 3; x < size; x++, p += 3) {
      rgb[p] = r;
      rgb[p + 1] = g;
      rgb[p + 2] = b;
    }
  }
  for (const o of scene.objects) {
    const [cr, cg, cb] = DEMO_COLOURS[o.colour];
    const x0 = Math.max(0, Math.floor(o.x - o.radius - 1));
    const x1 = Math.min(size - 1, Math.ceil(o.x + o.radius + 1));
    const y0 = Math.max(0, Math.floor(o.y - o.radius - 1));
    const y1 = Math.min(size - 1, Math.ceil(o.y + o.radius + 1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        let hits = 0;
        for (const sy of SUBSAMPLES) {
          for (const sx of SUBSAMPLES) {
            if (insideShape(o.shape, (x + sx - o.x) / o.radius, (y + sy - o.y) / o.radius)) hits++;
          }
        }
        if (hits === 0) continue;
        const alpha = hits / 4;
        const p = (y * size + x) * 3;
        rgb[p] = Math.round(rgb[p] * (1 - alpha) + cr * alpha);
        rgb[p + 1] = Math.round(rgb[p + 1] * (1 - alpha) + cg * alpha);
        rgb[p + 2] = Math.round(rgb[p + 2] * (1 - alpha) + cb * alpha);
      }
    }
  }
  return rgb;
}

// ---------- dataset ----------

/** The scenes (what is drawn, the captions, the split) without rendering: cheap, deterministic. */
export function generateDemoScenes(options: DemoOptions = {}): DemoScene[] {
  const count = options.images ?? 300;
  const seed = options.seed ?? 1;
  const size = options.imageSize ?? 128;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`demo dataset: images must be a positive integer, got ${count}`);
  if (!Number.isInteger(size) || size < 32) throw new RangeError(`demo dataset: imageSize must be an integer >= 32, got ${size}`);
  const rand = mulberry32(deriveSeed(seed, 'demo-scenes'));
  const digits = Math.max(4, String(count).length);
  const scenes = Array.from({ length: count }, (_, i) => makeScene(rand, i, digits, size));
  // 70/15/15 over a seeded permutation.
  const order = shuffle(mulberry32(deriveSeed(seed, 'demo-splits')), scenes.map((_, i) => i));
  const trainCount = Math.round(count * 0.7);
  const valCount = Math.round(count * 0.15);
  order.forEach((sceneIndex, rank) => {
    scenes[sceneIndex].split = rank < trainCount ? 'train' : rank < trainCount + valCount ? 'val' : 'test';
  });
  return scenes;
}

/** CSV field per RFC 4180: quoted when it holds a comma, quote or line break. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The file that says a folder is the demo dataset, and how to draw its scenes again. */
export const DEMO_MARKER_FILE = 'demo.json';
/**
 * Raised when what a seed generates changes (2: the upper or left shape of a pair is named first by every
 * pair caption that starts with "a"; "there is …" names the other first, as its first words say).
 */
export const DEMO_GENERATOR_VERSION = 2;
const DEMO_GENERATOR = 'webgpu-caption-studio demo';

export interface DemoMarker {
  generator: typeof DEMO_GENERATOR;
  version: number;
  images: number;
  seed: number;
  imageSize: number;
}

/**
 * The demo marker of a folder (the text of its demo.json), or null when it is not one this generator wrote:
 * then the folder is treated as any other dataset.
 */
export function parseDemoMarker(text: string): DemoMarker | null {
  try {
    const value = JSON.parse(text) as Partial<DemoMarker>;
    const integer = (n: unknown): n is number => Number.isInteger(n);
    if (value?.generator !== DEMO_GENERATOR || !integer(value.version) || !integer(value.images) || !integer(value.seed) || !integer(value.imageSize)) {
      return null;
    }
    return value as DemoMarker;
  } catch {
    return null;
  }
}

/**
 * The files of a Flickr8K-style folder: Images/*.png, captions.txt (Kaggle CSV), the three split files, and
 * demo.json (generator, version, images, seed, image size), so tools know the folder is the demo (the CLI picks
 * the demo backbone for it) and can draw its scenes again (the ground truth of demoObjectScore).
 */
export function generateDemoDataset(options: DemoOptions = {}): Record<string, Uint8Array | string> {
  const size = options.imageSize ?? 128;
  const scenes = generateDemoScenes(options);
  const files: Record<string, Uint8Array | string> = {};
  const marker: DemoMarker = { generator: DEMO_GENERATOR, version: DEMO_GENERATOR_VERSION, images: scenes.length, seed: options.seed ?? 1, imageSize: size };
  files[DEMO_MARKER_FILE] = `${JSON.stringify(marker)}\n`;
  const csv = ['image,caption'];
  const splitNames = { train: [] as string[], val: [] as string[], test: [] as string[] };
  for (const scene of scenes) {
    files[`Images/${scene.name}`] = encodeRgbPng(size, size, renderScene(scene, size));
    for (const caption of scene.captions) csv.push(`${scene.name},${csvField(caption)}`);
    splitNames[scene.split].push(scene.name);
  }
  files['captions.txt'] = csv.join('\n') + '\n';
  files['Flickr_8k.trainImages.txt'] = splitNames.train.join('\n') + '\n';
  files['Flickr_8k.devImages.txt'] = splitNames.val.join('\n') + '\n';
  files['Flickr_8k.testImages.txt'] = splitNames.test.join('\n') + '\n';
  return files;
}

/** The demo dataset as an in-memory Folder (the studio's "Load demo dataset"). */
export function demoFolder(options: DemoOptions = {}): RangeFolder {
  return memoryFolder(`demo-seed${options.seed ?? 1}`, generateDemoDataset(options));
}
