/** Progress of long work, with rate and time left, announced politely to screen readers. */
export function ProgressBar({
  label,
  done,
  total,
  rate,
  etaMs,
  testId,
}: {
  label: string;
  done: number;
  total: number;
  rate?: string | null;
  etaMs?: number | null;
  testId?: string;
}) {
  const percent = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <div className="sp-progress" data-testid={testId} data-done={done} data-total={total}>
      <progress max={Math.max(total, 1)} value={done} aria-label={label} />
      <span aria-live="polite">
        {label}: {done} / {total} ({percent}%){rate ? ` · ${rate}` : ''}
        {etaMs != null && done < total ? ` · about ${formatDuration(etaMs)} left` : ''}
      </span>
    </div>
  );
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '…';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
