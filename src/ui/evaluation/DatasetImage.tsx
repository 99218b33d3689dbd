import { useEffect, useState } from 'react';
import { useSession } from '../panelKit/hooks.ts';

/** How far outside the view an image is still held (a screen's height each way), so a scroll shows it without a blank. */
const NEAR_VIEW_MARGIN = '100%';

/**
 * A dataset image by name, read from the loaded folder while it is on (or near) the screen: its object URL is
 * held while visible and released (revoked) when it scrolls away or unmounts, so a long grid keeps URLs and
 * image bytes only for what is in view. Without IntersectionObserver it is held while mounted.
 */
export function DatasetImage({ name }: { name: string }) {
  const session = useSession();
  // The element shown (the picture, or its grey stand-in) is the one watched: a callback ref follows the swap.
  const [element, setElement] = useState<HTMLElement | null>(null);
  const [visible, setVisible] = useState(typeof IntersectionObserver === 'undefined');
  const [url, setUrl] = useState<string | null>(null);

  useEffect(() => {
    if (!element || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => setVisible(entries.some((e) => e.isIntersecting)), { rootMargin: NEAR_VIEW_MARGIN });
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);

  useEffect(() => {
    if (!visible) return;
    let live = true;
    const held = session.holdImageUrl(name);
    void held.url.then((u) => live && setUrl(u));
    return () => {
      live = false;
      setUrl(null);
      held.release();
    };
  }, [session, name, visible]);

  return url ? <img ref={setElement} src={url} alt={name} /> : <div ref={setElement} className="sp-noimg" aria-hidden="true" />;
}
