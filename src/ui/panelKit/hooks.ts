/**
 * Hooks for the panels beyond Dataset: the store with their slices, and the one StudioSession per store.
 */
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import { StudioSession } from '../../studio/session';
import type { PanelsState } from '../../studio/ports';
import { createStudioEngines, datasetAccessFor } from '../../studio/engines';
import { idbRunPersistence } from '../../studio/runStore';
import { useStudioStore } from '../storeContext.tsx';

type PanelsStoreApi = StoreApi<PanelsState>;

export function usePanelsStore(): PanelsStoreApi {
  return useStudioStore() as unknown as PanelsStoreApi;
}

/** Subscribes to the panels' state; the selector must return a stable value (a field, not a new object). */
export function usePanels<T>(selector: (state: PanelsState) => T): T {
  return useStore(usePanelsStore(), selector);
}

const sessions = new WeakMap<object, StudioSession>();

/** The session of this page's store: made once, kept for the page's life. */
export function sessionFor(store: object): StudioSession {
  let session = sessions.get(store);
  if (!session) {
    const persistence = typeof indexedDB === 'undefined' ? null : idbRunPersistence();
    session = new StudioSession(store as PanelsStoreApi, datasetAccessFor(store), createStudioEngines(), persistence);
    sessions.set(store, session);
    // A run saved before a reload comes back: its charts at once, its model when the build can import it.
    void session.restoreLastRun();
  }
  return session;
}

export function useSession(): StudioSession {
  return sessionFor(useStudioStore());
}
