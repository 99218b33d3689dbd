/**
 * The training slice of the studio's store: the run's settings, its state and everything its charts draw
 * (training/data.ts), changed only through these actions; the trainer's events go through
 * applyTrainerEvents (training/events.ts).
 */
import type { SerializedError, TrainConfig, TrainerEvent } from '../../../protocol/training.ts';
import type { SliceSet } from '../sliceTypes.ts';
import { initialTrainingData, stepsUpTo, type PageBackend, type TrainingData } from './data.ts';
import { reduceTrainerEvents } from './events.ts';
import { initialPageVisibility, visibilityChanged } from './hiddenPage.ts';
import { maxRunHistory, type RunSummary } from './runHistory.ts';

export interface TrainingSlice {
  training: TrainingData;
  /** The user's settings (marked as given). */
  setTrainConfig(patch: Partial<TrainConfig>): void;
  /** Defaults for the data (defaultTrainConfigFor), for the settings the user has not given; `basis` says for what. */
  applyDataDefaults(defaults: Partial<TrainConfig>, basis: string): void;
  setTrainingPlacement(placement: TrainingData['placement']): void;
  /** Clears the charts and errors for a fresh run (settings kept). */
  resetTrainingRun(): void;
  applyTrainerEvents(events: readonly TrainerEvent[]): void;
  /** What the run (new or continued) trains on: the dataset's name and the steps in one epoch. */
  setRunContext(context: Pick<TrainingData, 'dataset' | 'stepsPerEpoch'> & Partial<Pick<TrainingData, 'runId'>>): void;
  /**
   * Restores a saved run (after a reload) as it was drawn: `state` how it reads now ('finished' for a finished
   * run), `stateReason` why (restored, or interrupted by the reload).
   */
  restoreTrainingRun(
    data: Pick<TrainingData, 'config' | 'steps' | 'epochs' | 'lastCheckpoint'> &
      Partial<Pick<TrainingData, 'dataset' | 'placement' | 'runId' | 'startedAtMs' | 'stepsPerEpoch' | 'state' | 'stateReason'>>,
  ): void;
  setTrainingError(error: SerializedError | null): void;
  /** The checkpoint at `step` of run `runId` is written down for a reload (ignored once another run started). */
  markKeptForReload(runId: string | null, step: number): void;
  /** The page was hidden or shown (document.visibilityState). */
  notePageVisibility(hidden: boolean, nowMs?: number): void;
  /**
   * Before continuing from the last checkpoint: the charts are cut back to it (the trainer takes the steps
   * after it again), so no step is drawn twice.
   */
  cutToCheckpoint(): void;
  /** The page's own GPU device was lost during the run, which has ended (it continues from its checkpoint). */
  setDeviceLost(lost: TrainingData['deviceLost']): void;
  /** The run comparison of the page before a reload. */
  restoreRunHistory(history: RunSummary[]): void;
  setPageBackend(pageBackend: PageBackend): void;
  /** A run trained elsewhere (an imported PyTorch DDP log) joins the comparison table. */
  addRunSummary(summary: RunSummary): void;
}

/**
 * Null when the run's charts are of the dataset loaded now (or there is no run); otherwise a sentence saying
 * which dataset they belong to, so they are never read as the loaded dataset's.
 */
export function chartsBelongElsewhere(runDataset: string | null, loadedDataset: string | null): string | null {
  if (runDataset === null || runDataset === loadedDataset) return null;
  return `These charts are of a run on ${runDataset}, not on ${loadedDataset ?? 'a loaded dataset (none is loaded now)'}.`;
}

export function createTrainingSlice<T extends TrainingSlice>(set: SliceSet<T>): TrainingSlice {
  const update = (f: (t: TrainingData) => TrainingData) => set((s) => ({ training: f(s.training) }) as Partial<T>);
  return {
    training: initialTrainingData(),
    setTrainConfig: (patch) =>
      update((t) => ({
        ...t,
        config: { ...t.config, ...patch },
        configGiven: [...new Set([...t.configGiven, ...(Object.keys(patch) as (keyof TrainConfig)[])])],
      })),
    applyDataDefaults: (defaults, basis) =>
      update((t) => {
        const patch = Object.fromEntries(Object.entries(defaults).filter(([key]) => !t.configGiven.includes(key as keyof TrainConfig)));
        const changed = Object.entries(patch).some(([key, value]) => t.config[key as keyof TrainConfig] !== value);
        return changed || t.configBasis !== basis ? { ...t, config: { ...t.config, ...patch }, configBasis: basis } : t;
      }),
    setTrainingPlacement: (placement) => update((t) => ({ ...t, placement })),
    resetTrainingRun: () =>
      update((t) => ({
        ...initialTrainingData(t.config, t.placement),
        configGiven: t.configGiven,
        configBasis: t.configBasis,
        pageBackend: t.pageBackend,
        history: t.history,
        visibility: initialPageVisibility(t.visibility.hiddenNow),
      })),
    applyTrainerEvents: (events) => update((t) => reduceTrainerEvents(t, events)),
    setRunContext: (context) => update((t) => ({ ...t, ...context })),
    restoreTrainingRun: (data) =>
      update((t) => ({
        ...initialTrainingData(data.config, data.placement ?? t.placement),
        ...data,
        state: data.state ?? 'stopped',
        stateReason: data.stateReason ?? 'restored after a reload',
        backend: t.backend,
        pageBackend: t.pageBackend,
        history: t.history,
        // A restored run's settings are its own (a continued run must keep its batch): no data default replaces them.
        configGiven: Object.keys(data.config) as (keyof TrainConfig)[],
        configBasis: null,
        visibility: initialPageVisibility(t.visibility.hiddenNow),
      })),
    setTrainingError: (error) => update((t) => ({ ...t, error })),
    notePageVisibility: (hidden, nowMs = Date.now()) =>
      update((t) => {
        const going = t.state === 'running' || t.state === 'paused';
        const visibility = visibilityChanged(t.visibility, hidden, t.steps.step.length, going, nowMs);
        return visibility === t.visibility ? t : { ...t, visibility };
      }),
    cutToCheckpoint: () =>
      update((t) => {
        const checkpoint = t.lastCheckpoint;
        if (!checkpoint) return { ...t, keptForReloadStep: null };
        return { ...t, steps: stepsUpTo(t.steps, checkpoint.step), epochs: t.epochs.filter((e) => e.epoch <= checkpoint.epoch), keptForReloadStep: null };
      }),
    setDeviceLost: (deviceLost) => update((t) => ({ ...t, deviceLost })),
    markKeptForReload: (runId, step) =>
      update((t) => (t.runId === runId && (t.state === 'running' || t.state === 'paused') ? { ...t, keptForReloadStep: Math.max(step, t.keptForReloadStep ?? step) } : t)),
    restoreRunHistory: (history) => update((t) => ({ ...t, history: history.slice(-maxRunHistory) })),
    setPageBackend: (pageBackend) => update((t) => ({ ...t, pageBackend })),
    addRunSummary: (summary) => update((t) => ({ ...t, history: [...t.history, summary].slice(-maxRunHistory) })),
  };
}
