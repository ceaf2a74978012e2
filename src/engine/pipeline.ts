import { BoundedQueue } from './bounded-queue.js';

/**
 * Runs a reader and a committer concurrently with at most `depth` items between them: the reader keeps
 * pulling pages (and handing them to the pool) while earlier items are committed in order. Returns true
 * when the reader ran to its end, false when `signal` stopped it. A failure on either side stops both.
 */
export async function pipelined<T>(
  depth: number,
  signal: AbortSignal,
  read: (stopped: () => boolean) => AsyncGenerator<T>,
  commit: (item: T) => Promise<void>,
): Promise<boolean> {
  const queue = new BoundedQueue<T>(depth);
  const stop = new AbortController();
  const stopped = (): boolean => signal.aborted || stop.signal.aborted;
  const reader = (async () => {
    try {
      for await (const item of read(stopped)) {
        await queue.push(item);
        if (stopped()) break;
      }
      return !stopped();
    } finally {
      queue.close();
    }
  })();
  try {
    for (let item = await queue.shift(); item !== undefined; item = await queue.shift()) await commit(item);
  } catch (err) {
    stop.abort(err);
    queue.close();
    await reader.catch(() => undefined);
    throw err;
  }
  return reader;
}
