import { useEffect, useState } from 'react';
import { useSession } from '../panelKit/hooks.ts';

/** A dataset image by name, read from the loaded folder when it scrolls into the grid. */
export function DatasetImage({ name }: { name: string }) {
  const session = useSession();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void session.imageUrl(name).then((u) => live && setUrl(u));
    return () => {
      live = false;
    };
  }, [session, name]);
  return url ? <img src={url} alt={name} loading="lazy" /> : <div className="sp-noimg" aria-hidden="true" />;
}
