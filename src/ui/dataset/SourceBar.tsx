import { useRef, useState } from 'react';
import type { Protocol } from '../../core/data/types.ts';
import { folderFromInput, hasDirectoryPicker, pickDirectory } from '../browser/folderInput.ts';
import { useStudio } from '../storeContext.tsx';

const PROTOCOLS: { id: Protocol; label: string; help: string }[] = [
  { id: 'standard', label: 'standard', help: 'proper CSV, letters only, official 6000/1000/1000 split' },
  { id: 'kaggle', label: 'kaggle', help: "the notebook's cleaning, bugs included; 90/10 split" },
];

/** Where the dataset comes from (demo, folder picker, file input) and which text protocol cleans it. */
export function SourceBar() {
  const loadDemo = useStudio((state) => state.loadDemo);
  const loadFolder = useStudio((state) => state.loadFolder);
  const protocol = useStudio((state) => state.protocol);
  const setProtocol = useStudio((state) => state.setProtocol);
  const loading = useStudio((state) => state.datasetStatus === 'loading');
  const input = useRef<HTMLInputElement>(null);
  const [pickError, setPickError] = useState<string | null>(null);

  async function onPickFolder() {
    setPickError(null);
    if (!hasDirectoryPicker()) {
      input.current?.click();
      return;
    }
    try {
      const folder = await pickDirectory();
      if (folder) await loadFolder(folder);
    } catch (error) {
      setPickError(`Could not open the folder: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return (
    <div className="source-bar">
      <div className="source-buttons">
        <button type="button" className="primary" onClick={() => void loadDemo()} disabled={loading} data-testid="load-demo">
          Load demo dataset
        </button>
        <button type="button" onClick={() => void onPickFolder()} disabled={loading} data-testid="pick-folder">
          Open a folder…
        </button>
        <label className="file-input-label">
          <span>or choose its files:</span>
          <input
            ref={input}
            type="file"
            data-testid="folder-input"
            // React does not know webkitdirectory; set as a plain attribute.
            {...{ webkitdirectory: '', directory: '' }}
            multiple
            disabled={loading}
            onChange={(event) => {
              const folder = folderFromInput(event.currentTarget.files);
              event.currentTarget.value = '';
              if (folder) void loadFolder(folder);
            }}
          />
        </label>
        <span className="muted">or drop a folder anywhere on the page</span>
      </div>
      <fieldset className="protocol">
        <legend>Text protocol</legend>
        {PROTOCOLS.map((option) => (
          <label key={option.id} title={option.help}>
            <input
              type="radio"
              name="protocol"
              value={option.id}
              checked={protocol === option.id}
              onChange={() => setProtocol(option.id)}
              data-testid={`protocol-${option.id}`}
            />
            {option.label}
          </label>
        ))}
      </fieldset>
      {pickError ? <p role="alert" className="error">{pickError}</p> : null}
    </div>
  );
}
