/**
 * Picks a backbone's weights: one Keras .h5 (or .keras) file, read in place layer by layer (src/model/keras),
 * or a tfjs Layers model's model.json and shards, as files or as the folder that holds them (only the .json,
 * .bin and Keras files of the folder are kept).
 */
export function WeightsFilesPicker({ disabled, picked, onPick }: { disabled: boolean; picked: string[]; onPick(files: File[]): void }) {
  const keep = (list: FileList | null) => [...(list ?? [])].filter((f) => /\.(json|bin|h5|hdf5|keras)$/i.test(f.name));
  return (
    <div className="sp-actions">
      <label>
        Files: <input type="file" multiple accept=".h5,.hdf5,.keras,.json,.bin" aria-label="Weight files" disabled={disabled} onChange={(e) => onPick(keep(e.target.files))} />
      </label>
      <label>
        Folder:{' '}
        <input
          type="file"
          aria-label="Weights folder"
          disabled={disabled}
          // Not in React's types: the attribute that turns a file input into a folder picker.
          {...{ webkitdirectory: '' }}
          onChange={(e) => onPick(keep(e.target.files))}
        />
      </label>
      {picked.length ? <span>{picked.length} files: {picked.slice(0, 4).join(', ')}{picked.length > 4 ? ', …' : ''}</span> : null}
    </div>
  );
}
