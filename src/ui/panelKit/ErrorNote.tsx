import type { StudioError } from '../../store/slices/features.ts';

/** An error where it happened: the student's sentence first, the technical detail one click away. */
export function ErrorNote({ error, testId }: { error: StudioError | null; testId?: string }) {
  if (!error) return null;
  return (
    <div role="alert" className="sp-error" data-testid={testId}>
      <p>{error.message}</p>
      {error.detail ? (
        <details>
          <summary>Technical details</summary>
          <pre>{error.detail}</pre>
        </details>
      ) : null}
    </div>
  );
}
