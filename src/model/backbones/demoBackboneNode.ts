/**
 * Node: where the committed demo backbone lives in this checkout (public/models/demo-backbone, the folder the
 * page fetches as DEMO_BACKBONE_URL), as weights for loadBackbone.
 */
import { fileURLToPath } from 'node:url';
import { DEMO_BACKBONE_FOLDER } from './demoBackbone.ts';
import type { WeightsInput } from './loadWeights.ts';
import { nodeWeights } from './loadWeightsNode.ts';

/** Absolute path of the committed folder, from this file's place in the checkout. */
export function demoBackboneFolder(): string {
  return fileURLToPath(new URL(`../../../${DEMO_BACKBONE_FOLDER}/`, import.meta.url)).replace(/\/$/, '');
}

export function demoBackboneWeights(): WeightsInput {
  return nodeWeights(demoBackboneFolder());
}
