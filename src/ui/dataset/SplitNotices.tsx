import { useStudio } from '../storeContext.tsx';

/**
 * Up front, under the status line: a split the chosen protocol leaves without an image of this folder
 * (nothing to train on, or nothing to test), with the way out, before anyone extracts features or trains.
 */
export function SplitNotices() {
  const notices = useStudio((state) => state.splitNotices);
  if (notices.length === 0) return null;
  return (
    <div className="split-notices" role="status" data-testid="split-notices">
      {notices.map((notice) => (
        <p key={`${notice.protocol}-${notice.split}`} className="notice" data-testid={`split-notice-${notice.split}`}>
          {notice.message}
        </p>
      ))}
    </div>
  );
}
