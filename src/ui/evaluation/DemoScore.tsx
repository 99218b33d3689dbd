import { belongsElsewhere, currentOwner } from '../../store/slices/evaluation.ts';
import { useStudio } from '../storeContext.tsx';

/**
 * The demo score at a glance: the share of test pictures whose caption names every object's colour and shape
 * right. Shown for results on the demo's shapes only (the standard protocol's when there is one).
 */
export function DemoScore() {
  const result = useStudio((s) => (s.evaluation.results.standard?.demoScore ? s.evaluation.results.standard : s.evaluation.results.kaggle));
  const elsewhere = useStudio((s) => (result ? belongsElsewhere(result.owner, currentOwner(s)) : null));
  const demo = result?.demoScore;
  if (!result || !demo) return null;
  const percent = Math.round(demo.share * 100);
  return (
    <p className={elsewhere ? 'sp-headline sp-muted' : 'sp-headline'} data-testid="demo-score" data-share={demo.share} data-current={String(!elsewhere)}>
      <strong>Demo score {percent}%</strong>: {demo.right} of {demo.images} test pictures captioned with the right colour and shape of every
      object ({result.protocol} protocol){elsewhere ? `; an earlier result, ${elsewhere}` : ''}.
    </p>
  );
}
