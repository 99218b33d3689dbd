/**
 * The order test files start in. Vitest starts the files that were slowest last time first; on a fresh clone
 * (CI: a clean clone and `npm ci`) it knows no times and starts the largest files first. The slowest files
 * are small ones (a browser walk through the studio, a training run to a quality floor: a few lines that run
 * for minutes), so one of them could start last and run alone at the end while the other worker sat idle.
 * Without times, the browser tests and the training-quality runs start first.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const slowByNature = (file: string) => /[\\/]tests[\\/]e2e[\\/]|demoQuality/.test(file);

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // The key the base sequencer reads recorded times under.
    const known = (spec: TestSpecification) => Boolean(this.ctx.cache.getFileTestResults(`${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`));
    if (sorted.every(known)) return sorted;
    // Stable: within each group the base order (largest first) stays.
    return [...sorted.filter((s) => slowByNature(s.moduleId)), ...sorted.filter((s) => !slowByNature(s.moduleId))];
  }
}
