/**
 * The page's copy of train_ddp.py: Vite inlines the file beside this module as a string (?raw), so the
 * script exists once in the repository (Node reads the same file: nodeFiles.ts readTrainDdpScript).
 */
import script from './train_ddp.py?raw';

export const trainDdpScript: string = script;
