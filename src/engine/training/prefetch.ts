/**
 * A prefetching input pipeline: while the consumer runs a training step, the next `depth` items are being
 * built. In one JS thread the overlap happens whenever the step awaits the device (GPU readback, a worker),
 * which is where a step spends its time on webgpu.
 */

import { nextMacrotask } from '../../core/macrotask.ts';

/** Yields the items of `source` in order, keeping up to `depth` of them built ahead of the consumer. */
export async function* prefetch<T>(source: Iterable<T> | AsyncIterable<T>, depth = 2): AsyncGenerator<T> {
  const iterator = Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : toAsync(source as Iterable<T>);
  const queue: Promise<IteratorResult<T>>[] = [];
  const fill = () => {
    while (queue.length < Math.max(1, depth)) queue.push(nextSoon(iterator));
  };
  try {
    fill();
    while (true) {
      const result = await queue.shift()!;
      if (result.done) return;
      fill();
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/** Defers the producer to a macrotask so that it runs while the consumer is waiting, not before it. */
function nextSoon<T>(iterator: AsyncIterator<T>): Promise<IteratorResult<T>> {
  return nextMacrotask().then(() => iterator.next());
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
