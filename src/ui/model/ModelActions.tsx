import { useRef } from 'react';
import { downloadBlob } from '../browser/download.ts';
import { useStudio } from '../storeContext.tsx';
import { useSession } from '../panelKit/hooks.ts';

/** Export the current model as one zip; import one back; import a notebook model converted for tfjs. */
export function ModelActions() {
  const session = useSession();
  const m = useStudio((s) => s.model);
  const archiveInput = useRef<HTMLInputElement>(null);
  const notebookInput = useRef<HTMLInputElement>(null);
  const busy = m.operation !== 'idle';
  const exportReason = session.unavailable('export') ?? (m.info ? null : 'train or import a model first');
  const archiveReason = session.unavailable('importArchive');
  const notebookReason = session.unavailable('importNotebook');
  return (
    <div>
      <div className="sp-actions">
        <button
          type="button"
          data-testid="model-export"
          disabled={busy || Boolean(exportReason)}
          onClick={async () => {
            const out = await session.exportModel();
            if (out) downloadBlob(out.fileName, out.bytes, 'application/zip');
          }}
        >
          Export model (.zip)
        </button>
        {exportReason ? <span className="sp-reason">Unavailable: {exportReason}</span> : null}
      </div>
      <p className="sp-explain">One .zip with the weights (tfjs model.json + weights.bin) and the tokenizer: share it, or import it here later.</p>
      <div className="sp-actions">
        <button type="button" data-testid="model-import" disabled={busy || Boolean(archiveReason)} onClick={() => archiveInput.current?.click()}>
          Import a model archive…
        </button>
        <input
          ref={archiveInput}
          type="file"
          accept=".zip,application/zip"
          hidden
          data-testid="model-import-input"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) await session.importArchive({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
          }}
        />
        {archiveReason ? <span className="sp-reason">Unavailable: {archiveReason}</span> : null}
      </div>
      <p className="sp-explain">A .zip exported from this studio, on this or another computer.</p>
      <div className="sp-actions">
        <button type="button" data-testid="model-import-notebook" disabled={busy || Boolean(notebookReason)} onClick={() => notebookInput.current?.click()}>
          Import a notebook model (model.h5 or .keras + tokenizer.json)…
        </button>
        <input
          ref={notebookInput}
          type="file"
          multiple
          accept=".h5,.hdf5,.keras,.json,.bin"
          hidden
          data-testid="model-import-notebook-input"
          onChange={async (e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length) await session.importNotebook(files);
          }}
        />
        {notebookReason ? <span className="sp-reason">Unavailable: {notebookReason}</span> : null}
      </div>
      <p className="sp-explain">
        The notebook's own <code>model.save('model.h5')</code> (or a Keras 3 <code>.keras</code>) together with its tokenizer saved from{' '}
        <code>tokenizer.to_json()</code> as tokenizer.json (without it, the tokenizer is rebuilt from the loaded dataset, and the model's label says so);
        read here, nothing uploaded. A <code>tensorflowjs_converter</code> folder (model.json, the .bin
        shards, tokenizer.json) works too. Extract features with the backbone it was trained on (VGG16).
      </p>
    </div>
  );
}
