import { useStudio, useStudioStore } from '../storeContext.tsx';
import { useSession } from '../panelKit/hooks.ts';

/**
 * What the current model can caption, said before anyone drops a photo on a model of shapes: a model trained
 * on the demo's features knows coloured shapes only, and photos need a model trained on photos (the two ways
 * there, one click each). Without a model, one click trains the demo model on the defaults.
 */
export function ModelScope() {
  const session = useSession();
  const info = useStudio((s) => s.model.info);
  const training = useStudio((s) => s.training.state === 'running' || s.training.state === 'paused');
  const setActivePanel = useStudioStore().getState().setActivePanel;
  const goTo = (panel: 'dataset' | 'model' | 'training') => (
    <button type="button" className="sp-link" onClick={() => setActivePanel(panel)}>
      {panel === 'dataset' ? 'Dataset tab' : panel === 'model' ? 'Model tab' : 'Training tab'}
    </button>
  );
  if (!info) {
    return (
      <div className="sp-note" data-testid="playground-no-model">
        <p>
          No model yet. The quickest way to one: train the demo model (the demo&apos;s pictures, the demo CNN&apos;s features and the default
          settings; you watch it in the Training tab).
        </p>
        <div className="sp-actions">
          <button type="button" data-testid="train-demo-model" disabled={training} onClick={() => void session.trainDemoModel()}>
            Train the demo model
          </button>
          <span>or import a trained model in the {goTo('model')}.</span>
        </div>
        {training ? (
          <p className="sp-reason" data-testid="train-demo-busy">
            A run is going (see the {goTo('training')}): its model comes here when it ends.
          </p>
        ) : null}
      </div>
    );
  }
  if (info.features?.backbone !== 'demo') return null;
  return (
    <div className="sp-note" data-testid="playground-scope" data-scope="demo-shapes">
      <p>
        This model was trained on the demo&apos;s shapes: it captions pictures like the demo&apos;s (one or two coloured shapes on a plain
        background). A photo needs a model trained on photos. Two ways there:
      </p>
      <ul>
        <li>
          train on a Flickr8K folder (open it in the {goTo('dataset')}) with real VGG16 or MobileNet weights (the Features tab takes
          Keras&apos; own .h5 file), then train;
        </li>
        <li>or import the notebook&apos;s trained model (model.h5 with its tokenizer.json) in the {goTo('model')}.</li>
      </ul>
    </div>
  );
}
