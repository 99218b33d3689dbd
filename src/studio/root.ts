/**
 * The page's composition root: one StudioSession per store, with the engines this build offers, the
 * dataset the Dataset slice loaded and, where the page has IndexedDB, the saved runs and the page memory
 * (what a reload brings back).
 */
import type { StudioStore } from '../store/studioStore.ts';
import { createPageBackend, createStudioEngines, datasetAccessFor } from './engines.ts';
import { bindPageBackend, type PageBackendController } from './pageBackend.ts';
import { idbPagePersistence, memoryPagePersistence, PageMemory, type RestoreOptions } from './persistence/pageMemory.ts';
import { watchPageVisibility } from './pageVisibility.ts';
import { idbRunPersistence } from './persistence/runStore.ts';
import { StudioSession } from './session.ts';

const sessions = new WeakMap<StudioStore, StudioSession>();
const memories = new WeakMap<StudioStore, PageMemory>();
const backends = new WeakMap<StudioStore, PageBackendController>();

/** The page's backend (auto with calibrations, or the one named) of this page's store: made once. */
export function pageBackendFor(store: StudioStore): PageBackendController {
  let controller = backends.get(store);
  if (!controller) {
    controller = createPageBackend();
    bindPageBackend(store, controller);
    backends.set(store, controller);
  }
  return controller;
}

/** The session of this page's store: made once, kept for the page's life. */
export function sessionFor(store: StudioStore): StudioSession {
  let session = sessions.get(store);
  if (!session) {
    const persistence = typeof indexedDB === 'undefined' ? null : idbRunPersistence();
    session = new StudioSession(store, datasetAccessFor(store), createStudioEngines(pageBackendFor(store)), persistence);
    sessions.set(store, session);
    watchPageVisibility(store);
    // A run saved before a reload comes back: its charts at once, its model when the build can import it.
    void session.restoreLastRun();
  }
  return session;
}

/** The page memory of this page's store (what a reload brings back). */
export function pageMemoryFor(store: StudioStore): PageMemory {
  let memory = memories.get(store);
  if (!memory) {
    const persistence = typeof indexedDB === 'undefined' ? memoryPagePersistence() : idbPagePersistence();
    memory = new PageMemory(store, sessionFor(store), persistence);
    memories.set(store, memory);
  }
  return memory;
}

/**
 * The page's start: its session (backend, the saved run), then what the page showed before a reload, or
 * the demo on a first visit (unless the URL asks for an empty page).
 */
export function startPage(store: StudioStore, options: RestoreOptions): Promise<void> {
  sessionFor(store);
  return pageMemoryFor(store).restore(options);
}
