import { useState, type DragEvent, type ReactNode } from 'react';
import { folderFromDrop, takeDroppedItems } from '../browser/folderInput.ts';
import { useStudio } from '../storeContext.tsx';

/** Accepts a folder (or loose files) dropped anywhere inside it and loads it as the dataset. */
export function DropZone({ children }: { children: ReactNode }) {
  const loadFolder = useStudio((state) => state.loadFolder);
  const [over, setOver] = useState(false);
  const [dropError, setDropError] = useState<string | null>(null);

  function onDragOver(event: DragEvent) {
    if (![...event.dataTransfer.types].includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setOver(true);
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setOver(false);
    // Entries must be taken now: the DataTransfer is emptied once this handler returns.
    const dropped = takeDroppedItems(event.dataTransfer);
    setDropError(null);
    folderFromDrop(dropped)
      .then((folder) => (folder ? loadFolder(folder) : undefined))
      .catch((error: unknown) => setDropError(`Could not read the dropped folder: ${error instanceof Error ? error.message : String(error)}`));
  }

  return (
    <div
      className={`drop-zone${over ? ' drop-over' : ''}`}
      onDragOver={onDragOver}
      onDragLeave={(event) => {
        if (event.currentTarget === event.target) setOver(false);
      }}
      onDrop={onDrop}
    >
      {over ? <div className="drop-hint" aria-hidden="true">Drop the dataset folder to load it</div> : null}
      {dropError ? <p role="alert" className="error">{dropError}</p> : null}
      {children}
    </div>
  );
}
