/**
 * Keras files as a backbone's weights (`loadBackbone({ weights })`): a `keras` input carries an opener (Node:
 * nodeWeights() in loadWeightsNode.ts makes one for a .h5/.keras path); a browser pick of one .h5 or .keras
 * file (`{ kind: 'files', files: [file] }`) becomes one here, so the Features panel and the extraction worker
 * need nothing new to pass it along.
 */
import type { WeightsSource } from '../backbones/types.ts';
import { isKerasFileName, type KerasWeightsFile } from './kerasFile.ts';

export interface KerasWeightsInput {
  kind: 'keras';
  open(): Promise<KerasWeightsFile>;
  source: Exclude<WeightsSource, 'random'>;
}

/** The Keras file among a backbone's weights inputs, or null when they are something else (tfjs folder, random). */
export function kerasWeightsOf(input: { kind: string; files?: File[] }): KerasWeightsInput | null {
  if (input.kind === 'keras') return input as KerasWeightsInput;
  if (input.kind === 'files' && input.files?.length === 1 && isKerasFileName(input.files[0].name)) {
    const [file] = input.files;
    return {
      kind: 'keras',
      open: async () => (await import('./openBrowser.ts')).openKerasBlob(file, file.name),
      source: { kind: 'files', location: file.name },
    };
  }
  return null;
}
