import type { StateCreator } from 'zustand/vanilla';
import type { StudioState } from '../studioStore.ts';

/**
 * Panels of the studio in tab order. Only 'dataset' exists yet; the others arrive with later issues
 * (issue 6): add the id here and a component in src/ui/panels/registry.ts.
 */
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
