import { useEffect, useState, type ReactNode } from 'react';
import { useStudio } from '../storeContext.tsx';

/**
 * The run's settings fold away while it goes, so its charts come right under the controls where a student
 * watches them move; they open again when it ends, and a click opens them any time.
 */
export function SettingsFold({ children }: { children: ReactNode }) {
  const active = useStudio((s) => s.training.state === 'running' || s.training.state === 'paused');
  const [userOpen, setUserOpen] = useState<boolean | null>(null);
  // A run that starts or ends decides again; the user's click holds until then.
  useEffect(() => setUserOpen(null), [active]);
  const open = userOpen ?? !active;
  return (
    <details
      className="sp-fold"
      open={open}
      data-testid="settings-fold"
      onToggle={(event) => {
        const now = (event.currentTarget as HTMLDetailsElement).open;
        if (now !== open) setUserOpen(now);
      }}
    >
      <summary>{active ? 'Settings of the run (locked while it runs; click to see them)' : 'Settings of the run'}</summary>
      {children}
    </details>
  );
}
