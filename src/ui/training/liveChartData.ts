import { useEffect, useReducer, useRef } from 'react';
import { LiveThrottle } from '../charts/liveThrottle.ts';
import { useStudio } from '../storeContext.tsx';

/**
 * `value` as a live training chart draws it (LiveThrottle: at most once a second while the run goes, at once
 * when it is not). Build the chart inside useMemo on the returned value, so the renders in between skip it.
 */
export function useLiveChartData<T>(value: T): T {
  const running = useStudio((s) => s.training.state === 'running');
  const throttle = useRef<LiveThrottle<T> | null>(null);
  throttle.current ??= new LiveThrottle(value);
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const { value: shown, redrawInMs } = throttle.current.take(value, running, performance.now());
  useEffect(() => {
    if (redrawInMs === null) return;
    const timer = setTimeout(redraw, redrawInMs);
    return () => clearTimeout(timer);
  }, [redrawInMs, value]);
  return shown;
}
