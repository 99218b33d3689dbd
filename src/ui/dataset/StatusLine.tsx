import { useStudio } from '../storeContext.tsx';

const FORMAT_NAMES: Record<string, string> = {
  'kaggle-csv': 'Kaggle captions.txt (CSV)',
  'flickr8k-token': 'Flickr8k.token.txt with split files',
  'karpathy-json': "Karpathy's dataset_flickr8k.json",
};

/** What is loaded, what is happening, or what went wrong, in one live region for screen readers. */
export function StatusLine() {
  const status = useStudio((state) => state.datasetStatus);
  const progress = useStudio((state) => state.datasetProgress);
  const source = useStudio((state) => state.datasetSource);
  const format = useStudio((state) => state.datasetFormat);
  const captionFile = useStudio((state) => state.captionFile);
  const error = useStudio((state) => state.datasetError);

  let text: string;
  if (status === 'empty') text = 'No dataset loaded yet.';
  else if (status === 'loading') {
    const step = progress ? `${progress.phase}${progress.total > 1 ? ` ${progress.done}/${progress.total}` : ''}` : 'starting';
    text = `Loading ${source?.name ?? ''}: ${step}…`;
  } else if (status === 'error') text = `Could not use ${source?.name ?? 'the folder'}.`;
  else text = `${source?.name ?? ''}`;

  return (
    <div className="status" aria-live="polite" data-testid="dataset-status" data-status={status}>
      <p className="status-text">{text}</p>
      {status !== 'loading' && format ? (
        <p className="format" data-testid="dataset-format">
          Format: <strong>{FORMAT_NAMES[format] ?? format}</strong>
          {captionFile ? <> · caption file <code>{captionFile}</code></> : null}
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="error" data-testid="dataset-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
