import type { ComponentType } from 'react';
import type { PanelId } from '../../store/slices/ui.ts';
import { DatasetPanel } from './DatasetPanel.tsx';
import { EvaluationPanel } from './EvaluationPanel.tsx';
import { FeaturesPanel } from './FeaturesPanel.tsx';
import { ModelPanel } from './ModelPanel.tsx';
import { PlaygroundPanel } from './PlaygroundPanel.tsx';
import { TrainingPanel } from './TrainingPanel.tsx';

export interface PanelEntry {
  id: PanelId;
  title: string;
  /** Null for a panel that is announced but not built yet. */
  component: ComponentType | null;
  /** What the panel will do, shown while it is a placeholder. */
  blurb: string;
}

/** The studio's panels in tab order. A later issue adds its panel by giving its entry a component. */
export const PANELS: readonly PanelEntry[] = [
  { id: 'dataset', title: 'Dataset', component: DatasetPanel, blurb: 'Load Flickr8K or the demo set; statistics and warnings.' },
  { id: 'features', title: 'Features', component: FeaturesPanel, blurb: 'Image features from VGG16 or MobileNet, cached.' },
  { id: 'training', title: 'Training', component: TrainingPanel, blurb: 'Train the CNN + LSTM captioner on WebGPU.' },
  { id: 'evaluation', title: 'Evaluation', component: EvaluationPanel, blurb: 'BLEU-1..4 on the test split.' },
  { id: 'playground', title: 'Playground', component: PlaygroundPanel, blurb: 'Caption your own images.' },
  { id: 'model', title: 'Model', component: ModelPanel, blurb: 'Layers, parameters, weights import and export.' },
];
