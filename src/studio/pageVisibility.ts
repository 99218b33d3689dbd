/**
 * Tells the training slice when the page is hidden or shown (the Training panel shows when, and what it did
 * to the run's speed: a browser wakes a hidden tab's timers about once a second, which slows a run on the
 * page's own thread; workers go on).
 */
import type { StudioStore } from '../store/studioStore.ts';

export function watchPageVisibility(store: StudioStore, doc: Document | undefined = typeof document === 'undefined' ? undefined : document): () => void {
  if (!doc) return () => undefined;
  const note = () => store.getState().notePageVisibility(doc.visibilityState === 'hidden');
  note();
  doc.addEventListener('visibilitychange', note);
  return () => doc.removeEventListener('visibilitychange', note);
}
