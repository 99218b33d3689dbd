/**
 * JPEG decoding on worker threads for Node: jpeg-js costs ~18 ms per Flickr photo, about as much as a
 * MobileNet 0.25 forward pass, so decoding the next batch on another core while the backbone runs on this
 * one nearly doubles extraction speed on two cores. Node only (node:worker_threads). PNGs (small in
 * practice) and anything else go through the same JS decoder on this thread.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkImageHeader, decodeImageJs, ImageDecodeError, sniffImageType, type ImageDecoder, type RgbImage } from './decode.ts';

// The worker is evaluated source (no TypeScript loader needed inside it); it requires jpeg-js by path.
const workerSource = (jpegJsPath: string): string => `
const { parentPort } = require('node:worker_threads');
const jpeg = require(${JSON.stringify(jpegJsPath)});
parentPort.on('message', ({ id, bytes }) => {
  try {
    const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 });
    parentPort.postMessage({ id, width, height, data }, [data.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});`;

type Reply = { id: number; width: number; height: number; data: Uint8Array } | { id: number; error: string };

export interface NodeDecoderPool {
  decode: ImageDecoder;
  /** Ends the worker threads. */
  close(): Promise<void>;
}

/** `threads` defaults to the cores left after this thread (at least 1). */
export function createNodeDecoderPool(threads = Math.max(1, availableParallelism() - 1)): NodeDecoderPool {
  const source = workerSource(createRequire(import.meta.url).resolve('jpeg-js'));
  const pending = new Map<number, { resolve: (image: RgbImage) => void; reject: (error: Error) => void; file: string }>();
  // An idle pool must not keep the process alive; a busy one must (the caller awaits its answers).
  const inFlight: number[] = new Array(threads).fill(0);
  const workers = Array.from({ length: threads }, (_, index) => {
    const worker = new Worker(source, { eval: true });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const job = pending.get(reply.id);
      if (!job) return;
      pending.delete(reply.id);
      if (--inFlight[index] === 0) worker.unref();
      if ('error' in reply) job.reject(new ImageDecodeError(job.file, `cannot decode JPEG: ${reply.error}`));
      else if (reply.data.length !== reply.width * reply.height * 3) job.reject(new ImageDecodeError(job.file, 'unexpected JPEG pixel layout'));
      else job.resolve({ width: reply.width, height: reply.height, data: reply.data });
    });
    worker.on('error', (error) => {
      for (const job of pending.values()) job.reject(error);
      pending.clear();
    });
    return worker;
  });
  let nextId = 0;
  const decode: ImageDecoder = async (bytes, file) => {
    if (sniffImageType(bytes) !== 'jpeg') return decodeImageJs(bytes, file);
    checkImageHeader(bytes, file);
    const id = nextId++;
    const index = id % workers.length;
    return new Promise<RgbImage>((resolve, reject) => {
      pending.set(id, { resolve, reject, file });
      if (inFlight[index]++ === 0) workers[index].ref();
      workers[index].postMessage({ id, bytes });
    });
  };
  return { decode, close: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}
