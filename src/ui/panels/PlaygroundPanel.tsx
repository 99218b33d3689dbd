import { maxBeamWidth } from '../../store/slices/playground.ts';
import { CaptionCard } from '../playground/CaptionSteps.tsx';
import { ImageDrop } from '../playground/ImageDrop.tsx';
import { ModelScope } from '../playground/ModelScope.tsx';
import { Choice, Setting } from '../panelKit/Setting.tsx';
import { useStudio, useStudioStore } from '../storeContext.tsx';
import { useSession } from '../panelKit/hooks.ts';
import '../panelKit/panels.css';

export function PlaygroundPanel() {
  const session = useSession();
  const p = useStudio((s) => s.playground);
  const hasModel = useStudio((s) => s.model.info !== null);
  const actions = useStudioStore().getState();
  const unavailable = session.unavailable('playground') ?? (hasModel ? null : 'no model yet (see above)');
  return (
    <section className="panel sp-panel" aria-labelledby="panel-title-playground">
      <h2 id="panel-title-playground">Playground</h2>
      <ModelScope />
      <Setting label="Decoding" explain="Greedy takes the most likely word each time; beam search keeps several candidate captions and returns the best whole one.">
        {(props) => (
          <Choice labelledBy={props['aria-labelledby']} describedBy={props['aria-describedby']}
            name="Decoding"
            value={p.decoding}
            disabled={props.disabled}
            onChange={(decoding) => actions.setDecoding({ decoding })}
            options={[
              { value: 'greedy', label: 'Greedy (notebook)' },
              { value: 'beam', label: 'Beam search' },
            ]}
          />
        )}
      </Setting>
      <Setting label={`Beam width: ${p.beamWidth}`} explain="How many candidate captions beam search keeps at each step." disabledReason={p.decoding === 'beam' ? null : 'only for beam search'}>
        {(props) => (
          <input {...props} type="range" min={1} max={maxBeamWidth} value={p.beamWidth} onChange={(e) => actions.setDecoding({ beamWidth: Number(e.target.value) })} />
        )}
      </Setting>
      {unavailable ? <p className="sp-reason">Unavailable: {unavailable}</p> : null}
      <ImageDrop
        disabled={Boolean(unavailable)}
        onImages={(images) => void session.captionImages(images)}
      />
      {p.items.length ? (
        <div className="sp-actions">
          <button type="button" onClick={() => actions.clearPlayground()}>
            Clear all
          </button>
        </div>
      ) : null}
      <ul className="sp-playground" data-testid="playground-items">
        {p.items.map((item) => (
          <CaptionCard
            key={item.id}
            item={item}
            onRemove={() => {
              if (item.imageUrl) URL.revokeObjectURL(item.imageUrl);
              actions.removePlaygroundItem(item.id);
            }}
          />
        ))}
      </ul>
    </section>
  );
}
