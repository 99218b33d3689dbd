/** Messages between the page and the demo-dataset worker (workers/demo.worker.ts). */

/** How many images to draw, from which seed (the same seed gives the same dataset everywhere). */
export interface DemoRequest {
  images: number;
  seed: number;
}

/** The generated files (path → bytes or text), or why generation failed. */
export type DemoWorkerReply =
  | { ok: true; files: Record<string, Uint8Array | string> }
  | { ok: false; message: string };
