import { chartsBelongElsewhere } from '../../store/slices/training/index.ts';
import { useStudio } from '../storeContext.tsx';

/** Which dataset the charts below belong to; said as a warning when it is not the one loaded now. */
export function RunDataset() {
  const runDataset = useStudio((s) => s.training.dataset);
  const loaded = useStudio((s) => s.datasetSource?.name ?? null);
  const hasRun = useStudio((s) => s.training.steps.step.length > 0 || s.training.epochs.length > 0);
  if (!hasRun || runDataset === null) return null;
  const elsewhere = chartsBelongElsewhere(runDataset, loaded);
  return (
    <p className={elsewhere ? 'sp-reason' : 'sp-status'} data-testid="run-dataset" data-current={String(!elsewhere)}>
      {elsewhere ?? `Charts of the run on ${runDataset}.`}
    </p>
  );
}
