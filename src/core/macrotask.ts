/**
 * The next turn of the event loop, for code that yields between chunks of work (a page stays responsive,
 * a producer runs while its consumer awaits).
 *
 * Not setTimeout(0): a browser throttles the timers of a hidden tab to about one wake-up a second, and
 * chained timers further after minutes, so a loop that yields once per training step on the page's thread
 * crawled while the tab was hidden. A message on a MessageChannel is a task that is not throttled (React's
 * scheduler yields the same way). Node has setImmediate, which does not keep a port open.
 */
type Run = () => void;

interface Channel {
  port1: { onmessage: ((event: unknown) => void) | null };
  port2: { postMessage(message: unknown): void };
}

const host = globalThis as unknown as {
  setImmediate?: (run: Run) => unknown;
  MessageChannel?: new () => Channel;
};

function channelScheduler(): (run: Run) => void {
  const channel = new host.MessageChannel!();
  const waiting: Run[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return (run) => {
    waiting.push(run);
    channel.port2.postMessage(null);
  };
}

const schedule: (run: Run) => void = host.setImmediate
  ? (run) => void host.setImmediate!(run)
  : host.MessageChannel
    ? channelScheduler()
    : (run) => void setTimeout(run, 0);

/** Resolves in a later task, after pending input, messages and rendering had their turn. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => schedule(resolve));
}
