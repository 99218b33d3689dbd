import { useRef } from 'react';
import { downloadBlob } from '../browser/download.ts';
import { useSession } from '../panelKit/hooks.ts';
import { useStudio } from '../storeContext.tsx';

/**
 * Scale out: the loaded dataset's run (Training panel settings) as a zip for PyTorch DDP, and a trained run
 * folder (or its zip) back as the studio's model, its log as a row of the Training panel's run table.
 */
export function ScaleOutActions() {
  const session = useSession();
  const busy = useStudio((s) => s.model.operation !== 'idle');
  // Re-rendered when what enables the export changes: the dataset's load, the features' extraction.
  useStudio((s) => s.datasetStatus);
  useStudio((s) => s.features.status);
  const zipInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const exportReason = session.scaleOut.exportUnavailable();
  const importReason = session.unavailable('importArchive');
  return (
    <div data-testid="scale-out">
      <h3>Scale out with PyTorch DistributedDataParallel</h3>
      <div className="sp-actions">
        <button
          type="button"
          data-testid="scale-out-export"
          disabled={busy || Boolean(exportReason)}
          onClick={async () => {
            const out = await session.scaleOut.exportRun();
            if (out) downloadBlob(out.fileName, out.bytes, 'application/zip');
          }}
        >
          Export the run for PyTorch (.zip)
        </button>
        {exportReason ? <span className="sp-reason">Unavailable: {exportReason}</span> : null}
      </div>
      <p className="sp-explain">
        The dataset's features, captions and tokenizer as .npy/JSON, the Training tab's settings, the seeded initial weights and <code>train_ddp.py</code>.
        Unzip it and run <code>python3 train_ddp.py --nproc 2</code> or <code>torchrun --nproc_per_node 8 train_ddp.py</code> on a machine with PyTorch.
      </p>
      <div className="sp-actions">
        <button type="button" data-testid="scale-out-import-zip" disabled={busy || Boolean(importReason)} onClick={() => zipInput.current?.click()}>
          Import a trained PyTorch run (.zip)…
        </button>
        <button type="button" data-testid="scale-out-import-folder" disabled={busy || Boolean(importReason)} onClick={() => folderInput.current?.click()}>
          …or its folder
        </button>
        <input
          ref={zipInput}
          type="file"
          accept=".zip,application/zip"
          hidden
          data-testid="scale-out-import-zip-input"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) await session.scaleOut.importRun({ zip: { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) } });
          }}
        />
        <input
          ref={folderInput}
          type="file"
          hidden
          data-testid="scale-out-import-folder-input"
          // React does not know webkitdirectory; set as a plain attribute.
          {...{ webkitdirectory: '', directory: '' }}
          onChange={async (e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length === 0) return;
            const picked = await Promise.all(files.map(async (f) => ({ path: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
            await session.scaleOut.importRun({ folder: { name: picked[0].path.split('/')[0], files: picked } });
          }}
        />
        {importReason ? <span className="sp-reason">Unavailable: {importReason}</span> : null}
      </div>
      <p className="sp-explain">The run folder after training: its last checkpoint becomes the current model, and its train_log.jsonl a row of the Training tab's run table.</p>
    </div>
  );
}
