import { useState, type DragEvent, type ReactNode } from 'react';
import { entriesOfDrop, folderFromDrop } from '../browser/folderInput.ts';
import { useStudio } from '../storeContext.tsx';

/** Accepts a folder (or loose files) dropped anywhere inside it and loads it as the dataset. */
export function DropZone({ children }: { children: ReactNode }) {
  const loadFolder = useStudio((state) => state.loadFolder);
  const [over, setOver] = useState(false);

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
    const entries = entriesOfDrop(event.dataTransfer);
    void folderFromDrop(entries).then((folder) => (folder ? loadFolder(folder) : undefined));
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
      {children}
    </div>
  );
}
