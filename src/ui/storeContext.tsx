import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { StudioState, StudioStore } from '../store/studioStore.ts';

const StoreContext = createContext<StudioStore | null>(null);

/** Gives components the one store the page made (tests can render with their own). */
export function StoreProvider({ store, children }: { store: StudioStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useStudioStore(): StudioStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStudio outside <StoreProvider>');
  return store;
}

/** Subscribes to one slice of the state; the selector must return a stable value (a field, not a new object). */
export function useStudio<T>(selector: (state: StudioState) => T): T {
  return useStore(useStudioStore(), selector);
}
