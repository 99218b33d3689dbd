/**
 * The page's composition root: one StudioSession per store, with the engines this build offers, the
 * dataset the Dataset slice loaded and, where the page has IndexedDB, the saved runs.
 */
import type { StudioStore } from '../store/studioStore.ts';
import { createStudioEngines, datasetAccessFor } from './engines.ts';
import { idbRunPersistence } from './runStore.ts';
import { StudioSession } from './session.ts';

const sessions = new WeakMap<StudioStore, StudioSession>();

/** The session of this page's store: made once, kept for the page's life. */
export function sessionFor(store: StudioStore): StudioSession {
  let session = sessions.get(store);
  if (!session) {
    const persistence = typeof indexedDB === 'undefined' ? null : idbRunPersistence();
    session = new StudioSession(store, datasetAccessFor(store), createStudioEngines(), persistence);
    sessions.set(store, session);
    // A run saved before a reload comes back: its charts at once, its model when the build can import it.
    void session.restoreLastRun();
  }
  return session;
}
