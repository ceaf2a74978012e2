import { setMaxListeners } from 'node:events';

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A controller of one's own that aborts when `signal` does (at once when it already has), without Node's
 * limit of 10 listeners: for work whose many requests in flight all listen on one signal. `release()`
 * stops following `signal` (call it when the work is done).
 */
export function followAbort(signal?: AbortSignal): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onAbort = (): void => controller.abort(signal!.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return { controller, release: () => signal?.removeEventListener('abort', onAbort) };
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason;
}

/**
 * Did `err` come from aborting `signal`? True when the signal is aborted and the error is its reason,
 * an AbortError (DOM, undici, piscina), or wraps one of those as its cause. Lets a caller report an
 * interrupted run as "aborted" (resumable) rather than as a failure.
 */
export function isAbortFrom(err: unknown, signal: AbortSignal | undefined): boolean {
  if (!signal?.aborted) return false;
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (e === signal.reason) return true;
    const { name, code } = e as { name?: unknown; code?: unknown };
    if (name === 'AbortError' || code === 'ABORT_ERR' || code === 'ABORTED' || code === 'UND_ERR_ABORTED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
