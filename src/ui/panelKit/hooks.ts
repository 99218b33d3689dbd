/** The panels' way to the page's StudioSession (made by the studio's composition root, one per store). */
import { sessionFor } from '../../studio/root.ts';
import type { StudioSession } from '../../studio/session.ts';
import { useStudioStore } from '../storeContext.tsx';

export function useSession(): StudioSession {
  return sessionFor(useStudioStore());
}
