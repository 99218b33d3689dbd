import { featureWidthRefusal, weightsNeeded } from '../../store/slices/model.ts';
import { useStudio } from '../storeContext.tsx';

/** Which backbone and weights the model's playground and evaluation need, and whether the features held fit. */
export function ModelNeeds() {
  const info = useStudio((s) => s.model.info);
  const held = useStudio((s) => (s.features.status === 'done' && s.features.featureDim !== null ? s.features : null));
  if (!info) return null;
  const refusal = held ? featureWidthRefusal(info, { featureDim: held.featureDim as number, backboneId: held.identity?.backboneId }) : null;
  return (
    <div data-testid="model-needs" data-recorded={String(Boolean(info.features))}>
      <p className="sp-status">{weightsNeeded(info)}</p>
      {refusal ? (
        <p className="sp-notice" role="status" data-testid="model-feature-refusal">
          {refusal.split('. ')[0]}: the playground and evaluation refuse them until features of the right backbone are extracted.
        </p>
      ) : null}
    </div>
  );
}
