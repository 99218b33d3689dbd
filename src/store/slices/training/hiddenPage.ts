/**
 * When the page was hidden during a run and what that did to its speed. A browser wakes a hidden tab's
 * timers about once a second and may freeze a background tab, so a run on the page's own thread may slow
 * down or stop while hidden; workers go on. The figures show what it did on this machine.
 * Plain data kept in the training slice; the page's visibilitychange feeds it (studio/pageVisibility.ts).
 */

/** One stretch of time the page was hidden while a run went (running or paused). */
export interface HiddenSpan {
  fromMs: number;
  /** null while the page is still hidden. */
  toMs: number | null;
  stepsAtHide: number;
  stepsAtShow: number | null;
  /** The visible stretch just before it (from the run's start or the page's last return), to compare with. */
  visibleFromMs: number;
  stepsAtVisibleFrom: number;
}

export interface PageVisibility {
  hiddenNow: boolean;
  /** Where the current visible stretch of the run began; null before a run or while hidden. */
  visibleSince: { atMs: number; steps: number } | null;
  spans: HiddenSpan[];
}

export const maxHiddenSpans = 10;

export function initialPageVisibility(hiddenNow = false): PageVisibility {
  return { hiddenNow, visibleSince: null, spans: [] };
}

/** A run starts (or continues) going with `steps` drawn: its visible stretch begins now, or a span opens. */
export function runStarted(v: PageVisibility, steps: number, nowMs: number): PageVisibility {
  if (!v.hiddenNow) return { ...v, visibleSince: { atMs: nowMs, steps } };
  return openSpan(v, steps, nowMs, { atMs: nowMs, steps });
}

function openSpan(v: PageVisibility, steps: number, nowMs: number, visible: { atMs: number; steps: number }): PageVisibility {
  const span: HiddenSpan = { fromMs: nowMs, toMs: null, stepsAtHide: steps, stepsAtShow: null, visibleFromMs: visible.atMs, stepsAtVisibleFrom: visible.steps };
  return { hiddenNow: true, visibleSince: null, spans: [...v.spans, span].slice(-maxHiddenSpans) };
}

/** The page was hidden or shown; `runGoing`: a run is running or paused now. */
export function visibilityChanged(v: PageVisibility, hidden: boolean, steps: number, runGoing: boolean, nowMs: number): PageVisibility {
  if (hidden === v.hiddenNow) return v;
  if (hidden) {
    return runGoing && v.visibleSince ? openSpan(v, steps, nowMs, v.visibleSince) : { ...v, hiddenNow: true, visibleSince: null };
  }
  const last = v.spans.at(-1);
  const spans = last && last.toMs === null ? [...v.spans.slice(0, -1), { ...last, toMs: nowMs, stepsAtShow: steps }] : v.spans;
  return { hiddenNow: false, visibleSince: runGoing ? { atMs: nowMs, steps } : null, spans };
}

/** Steps per second while hidden and in the visible stretch before; null where there is no time to divide by. */
export function spanRates(span: HiddenSpan): { hiddenStepsPerSecond: number | null; visibleStepsPerSecond: number | null } {
  const rate = (steps: number, ms: number) => (ms > 0 ? (steps * 1000) / ms : null);
  return {
    hiddenStepsPerSecond: span.toMs === null || span.stepsAtShow === null ? null : rate(span.stepsAtShow - span.stepsAtHide, span.toMs - span.fromMs),
    visibleStepsPerSecond: span.stepsAtHide > span.stepsAtVisibleFrom ? rate(span.stepsAtHide - span.stepsAtVisibleFrom, span.fromMs - span.visibleFromMs) : null,
  };
}
