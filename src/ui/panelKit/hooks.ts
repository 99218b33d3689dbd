/** The panels' way to the page's StudioSession (made by the studio's composition root, one per store). */
import { pageBackendFor, pageMemoryFor, sessionFor } from '../../studio/root.ts';
import type { PageBackendController } from '../../studio/pageBackend.ts';
import type { PageMemory } from '../../studio/persistence/pageMemory.ts';
import type { StudioSession } from '../../studio/session.ts';
import { useStudioStore } from '../storeContext.tsx';

export function useSession(): StudioSession {
  return sessionFor(useStudioStore());
}

export function usePageMemory(): PageMemory {
  return pageMemoryFor(useStudioStore());
}

/** The page's backend: the setting (auto / webgpu / wasm) switches it. */
export function usePageBackend(): PageBackendController {
  return pageBackendFor(useStudioStore());
}
