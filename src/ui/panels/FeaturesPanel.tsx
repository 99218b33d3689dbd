import { useRef, useState } from 'react';
import { ErrorNote } from '../panelKit/ErrorNote.tsx';
import { ProgressBar } from '../panelKit/ProgressBar.tsx';
import { Choice, Setting } from '../panelKit/Setting.tsx';
import { useStudio, useStudioStore } from '../storeContext.tsx';
import { useSession } from '../panelKit/hooks.ts';
import { WeightsFilesPicker } from '../features/WeightsFilesPicker.tsx';
import { WeightsRecipe } from '../features/WeightsRecipe.tsx';
import { weightsChoicesFor, type WeightsChoice } from '../../store/slices/features.ts';
import { BackendSetting } from '../backend/BackendSetting.tsx';
import '../panelKit/panels.css';
import type { FeaturesData } from '../../store/slices/features.ts';

const weightsLabels: Record<WeightsChoice, string> = {
  builtin: 'Pretrained on the demo shapes (built in)',
  random: 'Random (for trying things out)',
  files: 'Keras .h5 file, or files/folder (model.json + shards)',
  url: 'URL',
};

export function FeaturesPanel() {
  const store = useStudioStore();
  const session = useSession();
  const f = useStudio((s) => s.features);
  const files = useRef<File[]>([]);
  const [, setPicked] = useState(0);
  const busy = f.status === 'running' || f.status === 'loading-weights';
  const unavailable = session.unavailable('extract');
  const set = store.getState().setFeatureOptions;

  return (
    <section className="panel sp-panel" aria-labelledby="panel-title-features">
      <h2 id="panel-title-features">Features</h2>
      <p className="sp-lead">A pretrained image network turns every picture into a list of numbers once; the captioner learns from those numbers.</p>
      <Setting
        label="Backbone"
        explain="The demo CNN was pretrained by this project on the demo's shapes (39 numbers per image: each object's shape, colour, size, the layout, the background). For photos: VGG16 is the notebook's network (4096 numbers per image, slow); MobileNet is small and fast (256 numbers)."
      >
        {(p) => (
          <Choice labelledBy={p['aria-labelledby']} describedBy={p['aria-describedby']}
            name="Backbone"
            value={f.backbone}
            disabled={busy || p.disabled}
            onChange={(backbone) => set({ backbone })}
            options={[
              { value: 'demo', label: 'Demo CNN (for the demo shapes)' },
              { value: 'vgg16', label: 'VGG16 (notebook, photos)' },
              { value: 'mobilenet', label: 'MobileNet (fast, photos)' },
            ]}
          />
        )}
      </Setting>
      <Setting
        label="Weights"
        explain={
          f.backbone === 'demo'
            ? "The demo CNN's weights come with the studio. Random weights see nothing: captions will not match the pictures."
            : 'Random weights run without a download but see nothing: captions will not match the pictures. Real weights: the Keras .h5 file (see below).'
        }
      >
        {(p) => (
          <div>
            <Choice labelledBy={p['aria-labelledby']} describedBy={p['aria-describedby']}
              name="Weights"
              value={f.weights}
              disabled={busy || p.disabled}
              onChange={(weights) => set({ weights })}
              options={weightsChoicesFor(f.backbone).map((value) => ({ value, label: weightsLabels[value] }))}
            />
            {f.weights === 'files' ? (
              <WeightsFilesPicker
                disabled={busy}
                picked={f.weightsFiles}
                onPick={(picked) => {
                  files.current = picked;
                  set({ weightsFiles: picked.map((x) => x.name) });
                  setPicked((n) => n + 1);
                }}
              />
            ) : null}
            {f.weights === 'url' ? (
              <input
                type="url"
                aria-label="URL of model.json"
                placeholder="https://…/model.json"
                value={f.weightsUrl}
                disabled={busy}
                onChange={(e) => set({ weightsUrl: e.target.value })}
              />
            ) : null}
            {f.backbone === 'demo' ? null : <WeightsRecipe />}
          </div>
        )}
      </Setting>
      <BackendSetting kind="extraction" />
      <div className="sp-actions">
        <button
          type="button"
          data-testid="extract-start"
          disabled={busy || Boolean(unavailable) || (f.weights === 'url' && !f.weightsUrl) || (f.weights === 'files' && f.weightsFiles.length === 0)}
          onClick={() => void session.extractFeatures(files.current)}
        >
          {f.status === 'aborted' || (f.status === 'done' && f.done < f.total) ? 'Resume extraction' : 'Extract features'}
        </button>
        <button type="button" data-testid="extract-abort" disabled={!busy} onClick={() => session.abortExtraction()}>
          Abort
        </button>
        {unavailable ? <span className="sp-reason">Unavailable: {unavailable}</span> : null}
      </div>
      {f.status !== 'idle' && !(f.status === 'failed' && f.done === 0) ? (
        <ProgressBar
          label={f.status === 'loading-weights' ? 'Loading the network' : 'Images'}
          done={f.done}
          total={f.total}
          rate={f.imagesPerSecond != null ? `${f.imagesPerSecond.toFixed(1)} images/s` : null}
          etaMs={f.etaMs}
          testId="extract-progress"
        />
      ) : null}
      <p className="sp-status" data-testid="features-status" data-status={f.status} aria-live="polite">
        {statusText(f.status)}
        {f.cached != null ? ` · ${f.cached} images have features` : ''}
        {f.fromCache ? ` (${f.fromCache} from the cache)` : ''}
        {f.featureDim ? ` · ${f.featureDim} numbers per image` : ''}
      </p>
      {f.identity && (f.status === 'done' || f.status === 'aborted') ? (
        <p className="sp-status" data-testid="features-identity">
          Backbone {f.identity.backboneId}, weights identity <code>{f.identity.weightsId}</code>
        </p>
      ) : null}
      {f.weightsLabel ? (
        <p className={f.weightsLabel.startsWith('RANDOM') ? 'sp-warning' : 'sp-status'} data-testid="features-weights">
          Weights: {f.weightsLabel}
        </p>
      ) : null}
      <CacheLine cacheSize={f.cacheSize} memoryBytes={f.memoryBytes} />
      <ErrorNote error={f.error} testId="features-error" />
      <StorageLine storage={f.storage} onClear={() => void session.clearFeatureCache()} busy={busy} />
    </section>
  );
}

function statusText(status: string): string {
  switch (status) {
    case 'idle':
      return 'No features extracted yet.';
    case 'loading-weights':
      return 'Loading the network…';
    case 'running':
      return 'Extracting…';
    case 'paused':
      return 'Paused.';
    case 'done':
      return 'Features ready.';
    case 'aborted':
      return 'Stopped. Finished images are cached: extracting again resumes where it stopped.';
    case 'failed':
      return 'Extraction failed.';
    default:
      return status;
  }
}

function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The feature cache of the backbone and weights shown, and the features this page holds for training, in bytes. */
function CacheLine({ cacheSize, memoryBytes }: Pick<FeaturesData, 'cacheSize' | 'memoryBytes'>) {
  if (!cacheSize) return null;
  return (
    <p className="sp-status" data-testid="feature-cache" data-vectors={cacheSize.vectors} data-bytes={cacheSize.bytes} data-memory-bytes={memoryBytes ?? undefined}>
      Feature cache of this backbone and weights: {cacheSize.vectors.toLocaleString('en-US')} vectors, {mib(cacheSize.bytes)} (
      {cacheSize.bytes.toLocaleString('en-US')} bytes)
      {memoryBytes != null ? `; held in this page for training: ${mib(memoryBytes)}` : ''}
    </p>
  );
}

/** How much of the browser's storage the feature cache and checkpoints take, and the way to free it. */
function StorageLine({ storage, onClear, busy }: { storage: FeaturesData['storage']; onClear: () => void; busy: boolean }) {
  if (!storage) return null;
  return (
    <p className="sp-status" data-testid="storage-usage">
      Browser storage (feature cache and checkpoints): {mib(storage.usageBytes)} used of {mib(storage.quotaBytes)}
      {storage.persisted === true ? ', persistent' : storage.persisted === false ? ', may be evicted by the browser when space runs low' : ''}{' '}
      <button type="button" data-testid="clear-feature-cache" disabled={busy} onClick={onClear}>
        Clear feature cache
      </button>
    </p>
  );
}
