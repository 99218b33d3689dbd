/**
 * What a slice needs from the store it lives in: a functional `set` on the whole state. Slices only ever
 * replace their own top-level key, so they compose into any zustand store (`createStore((set, get) => ({
 * ...createTrainingSlice(set), ... }))`).
 */
export type SliceSet<T> = (update: (state: T) => Partial<T>) => void;
export type SliceGet<T> = () => T;
