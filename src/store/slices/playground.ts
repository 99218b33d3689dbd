/**
 * Playground slice: images a user dropped and their captions as they form, step by step, with the top words
 * and probabilities of each step. Image pixels stay outside the store (an object URL string is kept).
 */
import type { StudioError } from './features.ts';
import type { SliceSet } from './sliceTypes.ts';

export interface WordProbability {
  word: string;
  probability: number;
}

export interface CaptionStep {
  /** The word chosen at this step. */
  word: string;
  /** The most likely next words at this step, best first. */
  top: WordProbability[];
}

export interface PlaygroundItem {
  id: string;
  name: string;
  /** blob: URL of the image for <img>; revoked when the item is removed. */
  imageUrl: string | null;
  status: 'queued' | 'captioning' | 'done' | 'failed';
  steps: CaptionStep[];
  caption: string | null;
  error: StudioError | null;
}

export interface PlaygroundData {
  decoding: 'greedy' | 'beam';
  beamWidth: number;
  topK: number;
  items: PlaygroundItem[];
}

export interface PlaygroundSlice {
  playground: PlaygroundData;
  setDecoding(patch: Partial<Pick<PlaygroundData, 'decoding' | 'beamWidth' | 'topK'>>): void;
  addPlaygroundItems(items: Pick<PlaygroundItem, 'id' | 'name' | 'imageUrl'>[]): void;
  updatePlaygroundItem(id: string, patch: Partial<PlaygroundItem>): void;
  appendCaptionStep(id: string, step: CaptionStep): void;
  removePlaygroundItem(id: string): void;
  clearPlayground(): void;
}

export const maxBeamWidth = 10;

export function initialPlaygroundData(): PlaygroundData {
  return { decoding: 'greedy', beamWidth: 3, topK: 5, items: [] };
}

export function createPlaygroundSlice<T extends PlaygroundSlice>(set: SliceSet<T>): PlaygroundSlice {
  const update = (f: (d: PlaygroundData) => PlaygroundData) => set((s) => ({ playground: f(s.playground) }) as Partial<T>);
  const updateItem = (id: string, f: (item: PlaygroundItem) => PlaygroundItem) =>
    update((d) => ({ ...d, items: d.items.map((it) => (it.id === id ? f(it) : it)) }));
  return {
    playground: initialPlaygroundData(),
    setDecoding: (patch) =>
      update((d) => ({
        ...d,
        ...patch,
        beamWidth: Math.min(Math.max(Math.round(patch.beamWidth ?? d.beamWidth), 1), maxBeamWidth),
      })),
    addPlaygroundItems: (items) =>
      update((d) => ({
        ...d,
        items: [...d.items, ...items.map((it) => ({ ...it, status: 'queued' as const, steps: [], caption: null, error: null }))],
      })),
    updatePlaygroundItem: (id, patch) => updateItem(id, (it) => ({ ...it, ...patch })),
    appendCaptionStep: (id, step) => updateItem(id, (it) => ({ ...it, steps: [...it.steps, step] })),
    removePlaygroundItem: (id) => update((d) => ({ ...d, items: d.items.filter((it) => it.id !== id) })),
    clearPlayground: () => update((d) => ({ ...d, items: [] })),
  };
}
