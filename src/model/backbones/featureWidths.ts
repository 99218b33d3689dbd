/**
 * How many numbers per image each backbone gives, without building it or loading tfjs: the studio's training
 * defaults follow it (narrow features train without dropout) before any feature exists, and the CLI's help says
 * it. The demo CNN's width is its attribute heads' classes side by side, so the heads are defined here too.
 */
import { DEMO_BACKGROUNDS, DEMO_COLOURS, DEMO_SHAPES, type DemoScene } from '../../core/data/demo.ts';
import type { BackboneName } from './types.ts';

/** VGG16's fc2, the notebook's features. */
export const VGG16_FEATURE_DIM = 4096;

export function mobilenetFeatureDim(alpha: number): number {
  return Math.floor(1024 * alpha);
}

/** Scene layout as one class: where a lone shape sits, or how a pair is arranged (upper/left shape first). */
export const DEMO_LAYOUTS = ['centre', 'left', 'right', 'top', 'bottom', 'above', 'left-of'] as const;
const NONE = 'none';
const COLOURS = Object.keys(DEMO_COLOURS) as (keyof typeof DEMO_COLOURS)[];
const BACKGROUNDS = Object.keys(DEMO_BACKGROUNDS) as (keyof typeof DEMO_BACKGROUNDS)[];

export interface AttributeHead {
  /** Layer name of the head (a dense softmax). */
  name: string;
  classes: readonly string[];
  /** The class of a scene (index into `classes`). */
  label(scene: DemoScene): number;
}

const objectHead = (slot: 0 | 1, attribute: 'shape' | 'colour' | 'size', classes: readonly string[]): AttributeHead => ({
  name: `${attribute}_${slot + 1}`,
  // The second object's heads also say "there is none".
  classes: slot === 0 ? classes : [...classes, NONE],
  label: (scene) => {
    const object = scene.objects[slot];
    return object ? classes.indexOf(object[attribute]) : classes.length;
  },
});

/** What the backbone is trained to tell about a picture: each object's shape, colour and size, the layout, the background. */
export const DEMO_ATTRIBUTE_HEADS: readonly AttributeHead[] = [
  objectHead(0, 'shape', DEMO_SHAPES),
  objectHead(0, 'colour', COLOURS),
  objectHead(0, 'size', ['small', 'large']),
  objectHead(1, 'shape', DEMO_SHAPES),
  objectHead(1, 'colour', COLOURS),
  objectHead(1, 'size', ['small', 'large']),
  { name: 'layout', classes: DEMO_LAYOUTS, label: (scene) => DEMO_LAYOUTS.indexOf((scene.position ?? scene.relation)! as (typeof DEMO_LAYOUTS)[number]) },
  { name: 'background', classes: BACKGROUNDS, label: (scene) => BACKGROUNDS.indexOf(scene.background) },
];

export const DEMO_ATTRIBUTE_WIDTH = DEMO_ATTRIBUTE_HEADS.reduce((sum, head) => sum + head.classes.length, 0);
/** The features: the attribute probabilities (39). */
export const DEMO_FEATURE_DIM = DEMO_ATTRIBUTE_WIDTH;

/** The features a backbone gives (MobileNet: at width multiplier `alpha`). */
export function featureDimOf(name: BackboneName, alpha = 0.25): number {
  if (name === 'demo') return DEMO_FEATURE_DIM;
  return name === 'vgg16' ? VGG16_FEATURE_DIM : mobilenetFeatureDim(alpha);
}
