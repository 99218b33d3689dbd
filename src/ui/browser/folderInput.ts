/**
 * Getting a folder from the user in a browser: the directory picker where there is one, a dropped folder
 * (DataTransferItem.webkitGetAsEntry, walked into a File[]), or the files of `<input webkitdirectory>`.
 */
import { directoryHandleFolder, fileListFolder } from './folders.ts';
import type { Folder } from '../../core/data/types.ts';

interface DirectoryPickerWindow {
  showDirectoryPicker?: (options?: { mode?: 'read' }) => Promise<FileSystemDirectoryHandle>;
}

export function hasDirectoryPicker(): boolean {
  return typeof (window as unknown as DirectoryPickerWindow).showDirectoryPicker === 'function';
}

/** The picked folder, or null when the user cancelled. */
export async function pickDirectory(): Promise<Folder | null> {
  const picker = (window as unknown as DirectoryPickerWindow).showDirectoryPicker;
  if (!picker) return null;
  try {
    return directoryHandleFolder(await picker.call(window, { mode: 'read' }));
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return null;
    throw error;
  }
}

/** The files of an `<input webkitdirectory>` (each carries its webkitRelativePath). */
export function folderFromInput(files: FileList | null): Folder | null {
  return files && files.length > 0 ? fileListFolder([...files]) : null;
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries returns at most 100 entries per call: call until it returns none.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function collect(entry: FileSystemEntry, prefix: string, into: File[]): Promise<void> {
  const path = prefix + entry.name;
  if (entry.isFile) {
    const file = await fileOf(entry as FileSystemFileEntry);
    // fileListFolder reads the relative path from webkitRelativePath, which dropped files leave empty.
    Object.defineProperty(file, 'webkitRelativePath', { value: path });
    into.push(file);
  } else if (entry.isDirectory && !entry.name.startsWith('.')) {
    for (const child of await readAllEntries((entry as FileSystemDirectoryEntry).createReader())) {
      await collect(child, `${path}/`, into);
    }
  }
}

/**
 * The dropped folder (or loose files) as a Folder. The entries must be taken from the DataTransfer during
 * the drop event itself (the browser empties it afterwards), hence the two steps.
 */
export interface DroppedItems {
  entries: FileSystemEntry[];
  /** The plain files, for drops whose items give no entries (a DataTransfer built by a script). */
  files: File[];
}

export function takeDroppedItems(dataTransfer: DataTransfer): DroppedItems {
  const entries = [...dataTransfer.items].flatMap((item) => {
    const entry = item.kind === 'file' ? item.webkitGetAsEntry() : null;
    return entry ? [entry] : [];
  });
  return { entries, files: [...dataTransfer.files] };
}

export async function folderFromDrop(dropped: DroppedItems): Promise<Folder | null> {
  const files: File[] = [];
  for (const entry of dropped.entries) await collect(entry, '', files);
  if (files.length === 0) files.push(...dropped.files);
  return files.length > 0 ? fileListFolder(files) : null;
}
