/** Small node:fs helpers shared by the Node-only stores (feature file, checkpoint folder). */
import { stat } from 'node:fs/promises';

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
