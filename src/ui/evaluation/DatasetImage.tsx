import { useEffect, useState } from 'react';
import { useSession } from '../panelKit/hooks.ts';

/**
 * A dataset image by name, read from the loaded folder: its object URL is held while this is mounted and
 * released when it unmounts (the last release revokes it), so the grid and the epoch samples keep URLs only
 * for the pictures they show now, not for every picture they ever showed.
 */
export function DatasetImage({ name }: { name: string }) {
  const session = useSession();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const held = session.holdImageUrl(name);
    void held.url.then((u) => live && setUrl(u));
    return () => {
      live = false;
      held.release();
    };
  }, [session, name]);
  return url ? <img src={url} alt={name} loading="lazy" /> : <div className="sp-noimg" aria-hidden="true" />;
}
