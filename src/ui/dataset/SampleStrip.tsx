import { useStudio } from '../storeContext.tsx';

/** A few images with their first caption (all captions in the tooltip). The store owns and revokes the URLs. */
export function SampleStrip() {
  const samples = useStudio((state) => state.samples);
  if (samples.length === 0) return null;
  return (
    <section className="card" aria-labelledby="samples-title">
      <h3 id="samples-title">Samples</h3>
      <ul className="samples" data-testid="samples">
        {samples.map((sample) => (
          <li key={sample.file} className="sample">
            {sample.url ? <img src={sample.url} alt={sample.captions[0] ?? sample.name} title={sample.captions.join('\n')} /> : null}
            <p className="caption">{sample.captions[0] ?? '(no caption)'}</p>
            <p className="muted small">
              {sample.name}
              {sample.captions.length > 1 ? ` · +${sample.captions.length - 1} more` : ''}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
