/// <reference lib="webworker" />
// Reads a picked Keras file (.h5 / .keras) for the page, which cannot read a Blob synchronously. Logic: src/model/keras/kerasWorker.ts.
import { serveKerasFile, type KerasWorkerScope } from '../src/model/keras/kerasWorker.ts';

serveKerasFile(self as unknown as KerasWorkerScope);
