import type { StateCreator } from 'zustand/vanilla';
import type { StudioState } from '../studioStore.ts';

/** Panels of the studio in tab order; a new panel adds its id here and its component in src/ui/panels/registry.tsx. */
export const PANEL_IDS = ['dataset', 'features', 'training', 'evaluation', 'playground', 'model'] as const;
export type PanelId = (typeof PANEL_IDS)[number];

export interface UiSlice {
  activePanel: PanelId;
  setActivePanel(panel: PanelId): void;
}

export const createUiSlice: StateCreator<StudioState, [], [], UiSlice> = (set) => ({
  activePanel: 'dataset',
  setActivePanel: (panel) => set({ activePanel: panel }),
});
