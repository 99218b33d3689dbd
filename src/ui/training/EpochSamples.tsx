import { useStudio } from '../storeContext.tsx';
import { DatasetImage } from '../evaluation/DatasetImage.tsx';

/**
 * The captions of the run's fixed sample pictures after its latest epoch, each beside its picture and with the
 * epoch it was made at; the earlier epochs' captions one click away, so a student sees "a a a" become right.
 */
export function EpochSamples() {
  const epochs = useStudio((s) => s.training.epochs);
  const withSamples = epochs.filter((p) => p.samples?.length);
  if (withSamples.length === 0) return null;
  const latest = withSamples[withSamples.length - 1];
  return (
    <section className="sp-samples" data-testid="epoch-samples" data-epoch={latest.epoch} aria-label="Sample captions">
      <h3>
        Sample captions after epoch {latest.epoch}
      </h3>
      <ul className="sp-sample-list">
        {latest.samples!.map((sample) => (
          <li key={sample.name} className="sp-sample" data-testid="epoch-sample" data-name={sample.name}>
            <DatasetImage name={sample.name} />
            <div>
              <q data-testid="epoch-sample-caption">{sample.caption || '(nothing yet)'}</q>
              <div className="sp-hint">epoch {latest.epoch}</div>
              {withSamples.length > 1 ? (
                <details>
                  <summary>Earlier epochs</summary>
                  <ol className="sp-sample-history">
                    {withSamples.slice(0, -1).map((p) => (
                      <li key={p.epoch} value={p.epoch}>
                        {p.samples!.find((s) => s.name === sample.name)?.caption || '(nothing)'}
                      </li>
                    ))}
                  </ol>
                </details>
              ) : null}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
