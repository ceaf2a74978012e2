import { isRetriable } from '../errors.js';
import { sleep } from '../shared/abort.js';

export interface RetryOptions {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
  signal?: AbortSignal;
  /** Called before each wait; for counters and logs. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Randomness source in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/**
 * Delay before retry `attempt` (0-based): exponential backoff with "equal jitter" (half the ceiling fixed,
 * half random), never shorter than a server's Retry-After, which is itself capped at `maxMs` (a server
 * asking for an hour must not park the run for an hour). Full jitter can draw near-zero delays many
 * times in a row, so 10 retries could be spent inside a 10 s outage; with equal jitter the default 10
 * retries (200 ms base, 30 s cap) always span at least 55 s.
 */
export function backoffDelay(attempt: number, options: Pick<RetryOptions, 'baseMs' | 'maxMs' | 'random'>, retryAfterMs: number | null = null): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  const jittered = Math.floor(ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2));
  return retryAfterMs === null ? jittered : Math.max(Math.min(retryAfterMs, options.maxMs), jittered);
}

/** Runs `fn` until it succeeds, fails with a non-retriable error, or `maxRetries` retries are spent. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= options.maxRetries || !isRetriable(err) || options.signal?.aborted) throw err;
      const retryAfter = (err as { retryAfterMs?: number | null }).retryAfterMs ?? null;
      const delay = backoffDelay(attempt, options, retryAfter);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}

/** A Retry-After header (seconds, or an HTTP date) in milliseconds from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
