/**
 * What the store needs from its environment, injected by the factory so tests run it in Node with fakes and
 * the page gives it a worker and real object URLs. Only services live here: never state.
 */
import { generateDemoDataset } from '../core/data/demo.ts';
import type { DemoRequest } from '../protocol/demo.ts';

/** What to generate: the demo worker's request (the same options on this thread and in the worker). */
export type DemoOptions = DemoRequest;

export type DemoFiles = Record<string, Uint8Array | string>;

export interface ObjectUrls {
  create(bytes: Uint8Array, mimeType: string): string;
  revoke(url: string): void;
}

export interface StudioDeps {
  /** Generates the demo dataset's files (the page does it in a worker so it stays responsive). */
  generateDemo(options: DemoOptions, signal?: AbortSignal): Promise<DemoFiles>;
  /** Object URLs for sample images; null where there are none (Node): samples then carry no url. */
  objectUrls: ObjectUrls | null;
}

/** Object URLs where the platform has them (a page; Node has Blob and URL.createObjectURL too). */
export function platformObjectUrls(): ObjectUrls | null {
  if (typeof URL === 'undefined' || typeof URL.createObjectURL !== 'function' || typeof Blob === 'undefined') {
    return null;
  }
  return {
    create: (bytes, mimeType) => URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType })),
    revoke: (url) => URL.revokeObjectURL(url),
  };
}

export function defaultDeps(): StudioDeps {
  return {
    generateDemo: async (options) => generateDemoDataset(options),
    objectUrls: platformObjectUrls(),
  };
}
