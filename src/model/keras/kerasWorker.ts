/**
 * The worker side of openBrowser.ts's page path (workers/keras.worker.ts is its entry): opens the HDF5 Blob
 * with WORKERFS, answers with the file's index, then with one weight's values per request, transferred.
 */
import { isUserError } from '../../core/errors.ts';
import { openKerasBlobHere } from './blobReader.ts';
import type { KerasFileIndex, KerasWeight, KerasWeightsFile } from './kerasFile.ts';

/** Messages between the page (openBrowser.ts) and workers/keras.worker.ts. */
export type ToKerasWorker = { type: 'open'; h5: Blob; name: string; config: unknown } | { type: 'read'; id: number; weight: KerasWeight } | { type: 'close' };
export type FromKerasWorker =
  | { type: 'opened'; index: KerasFileIndex }
  | { type: 'values'; id: number; values: Float32Array }
  | { type: 'failed'; id: number | null; message: string; file: string | null };

/** The part of a worker's global scope this needs (a fake in Node tests). */
export interface KerasWorkerScope {
  postMessage(message: FromKerasWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: ToKerasWorker }) => void): void;
}

export function serveKerasFile(scope: KerasWorkerScope): void {
  let file: Promise<KerasWeightsFile> | null = null;
  const failure = (id: number | null, error: unknown): FromKerasWorker => ({
    type: 'failed',
    id,
    message: error instanceof Error ? error.message : String(error),
    file: isUserError(error) ? (error.file ?? null) : null,
  });
  scope.addEventListener('message', ({ data }) => {
    if (data.type === 'open') {
      file = openKerasBlobHere(data.h5, data.name, data.config);
      file.then(
        (opened) => scope.postMessage({ type: 'opened', index: opened.index }),
        (error: unknown) => scope.postMessage(failure(null, error)),
      );
    } else if (data.type === 'read') {
      const { id, weight } = data;
      if (!file) {
        scope.postMessage(failure(id, new Error('read before open')));
        return;
      }
      file
        .then((opened) => opened.read(weight))
        .then(
          (values) => scope.postMessage({ type: 'values', id, values }, [values.buffer]),
          (error: unknown) => scope.postMessage(failure(id, error)),
        );
    } else if (data.type === 'close') {
      void file?.then((opened) => opened.close());
      file = null;
    }
  });
}
