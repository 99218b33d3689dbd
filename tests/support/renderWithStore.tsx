/**
 * Server-rendered markup of components over a test store as it is now. A server render reads zustand's
 * initial state, so the store is handed over with its current state as that.
 */
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { StudioStore } from '../../src/store/studioStore.ts';
import { StoreProvider } from '../../src/ui/storeContext.tsx';

export function renderWithStore(store: StudioStore, children: ReactNode): string {
  return renderToStaticMarkup(<StoreProvider store={{ ...store, getInitialState: store.getState }}>{children}</StoreProvider>);
}
