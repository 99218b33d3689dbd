import { useRef, useState } from 'react';
import { folderFromInput, hasDirectoryPicker, pickDirectory } from '../browser/folderInput.ts';
import { usePageMemory } from '../panelKit/hooks.ts';
import { useStudio } from '../storeContext.tsx';

/**
 * After a reload, a folder that cannot come back by itself: the sentence saying why, and the one click that
 * opens it again (the browser's permission prompt, or the folder picker).
 */
export function ReopenNote() {
  const reopen = useStudio((state) => state.datasetReopen);
  const loadFolder = useStudio((state) => state.loadFolder);
  const memory = usePageMemory();
  const input = useRef<HTMLInputElement>(null);
  const [refused, setRefused] = useState(false);
  if (!reopen) return null;

  async function onClick() {
    setRefused(false);
    if (reopen?.action === 'permission') {
      if (!(await memory.reopenWithPermission())) setRefused(true);
      return;
    }
    if (!hasDirectoryPicker()) {
      input.current?.click();
      return;
    }
    const folder = await pickDirectory();
    if (folder) await loadFolder(folder);
  }

  return (
    <div className="split-notices" role="status" data-testid="dataset-reopen" data-action={reopen.action}>
      <p className="notice">
        {reopen.message}{' '}
        <button type="button" data-testid="dataset-reopen-button" onClick={() => void onClick()}>
          {reopen.action === 'permission' ? `Open ${reopen.name} again` : `Pick ${reopen.name} again…`}
        </button>
      </p>
      {refused ? <p className="error">The browser did not give the permission: open the folder again with "Open a folder…".</p> : null}
      <input
        ref={input}
        type="file"
        hidden
        {...{ webkitdirectory: '', directory: '' }}
        multiple
        onChange={(event) => {
          const folder = folderFromInput(event.currentTarget.files);
          event.currentTarget.value = '';
          if (folder) void loadFolder(folder);
        }}
      />
    </div>
  );
}
