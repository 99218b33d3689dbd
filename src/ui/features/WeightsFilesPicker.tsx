/**
 * Picks a backbone's weights: one Keras .h5 (or .keras) file, read in place layer by layer (src/model/keras),
 * or a tfjs Layers model's model.json and shards, as files or as the folder that holds them. Every file is
 * passed on: the loader takes the ones model.json's manifest names, whatever their extension (the converter's
 * shards are named `group1-shard1of1`, without one).
 */
export function WeightsFilesPicker({ disabled, picked, onPick }: { disabled: boolean; picked: string[]; onPick(files: File[]): void }) {
  const keep = (list: FileList | null) => [...(list ?? [])];
  return (
    <div className="sp-actions">
      <label>
        Files: <input type="file" multiple aria-label="Weight files" disabled={disabled} onChange={(e) => onPick(keep(e.target.files))} />
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
