/**
 * The one store the tests use: the studio's own store (createStudioStore, the same shape as the page's),
 * with the demo dataset generated in-process and object URLs faked so their creation and revocation can be
 * counted.
 */
import { generateDemoDataset } from '../../src/core/data/demo.ts';
import type { ObjectUrls, StudioDeps } from '../../src/store/deps.ts';
import { createStudioStore, type StudioStore } from '../../src/store/studioStore.ts';

export function fakeObjectUrls(): { urls: ObjectUrls; live: Set<string> } {
  const live = new Set<string>();
  let next = 0;
  const urls: ObjectUrls = {
    create: () => {
      const url = `blob:fake/${next++}`;
      live.add(url);
      return url;
    },
    revoke: (url) => void live.delete(url),
  };
  return { urls, live };
}

/** A fresh store per call; `live` holds the object URLs not yet revoked. */
export function testStore(deps: Partial<StudioDeps> = {}): { store: StudioStore; live: Set<string> } {
  const { urls, live } = fakeObjectUrls();
  const store = createStudioStore({ objectUrls: urls, generateDemo: async (options) => generateDemoDataset(options), ...deps });
  return { store, live };
}
