import { describe, expect, it } from 'vitest';
import { TargetError } from '../../../src/errors.js';
import { backoffDelay, withRetry } from '../../../src/engine/retry.js';

const fast = { maxRetries: 5, baseMs: 1, maxMs: 4 };

describe('withRetry', () => {
  it('retries retriable errors until success', async () => {
    let calls = 0;
    const value = await withRetry(async () => {
      if (++calls < 3) throw new TargetError('TARGET_HTTP', 'boom', { status: 500 });
      return 'ok';
    }, fast);
    expect([value, calls]).toEqual(['ok', 3]);
  });

  it('does not retry a 4xx validation error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new TargetError('TARGET_REJECTED', 'bad', { status: 400 });
      }, fast),
    ).rejects.toMatchObject({ code: 'TARGET_REJECTED' });
    expect(calls).toBe(1);
  });

  it('gives up after maxRetries', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      }, fast),
    ).rejects.toThrow('reset');
    expect(calls).toBe(6);
  });

  it('uses equal jitter under a growing, capped ceiling, and never less than Retry-After', () => {
    const high = { baseMs: 100, maxMs: 1000, random: () => 0.999 };
    const low = { ...high, random: () => 0 };
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, high))).toEqual([99, 199, 399, 799, 999, 999]);
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, low))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffDelay(0, low, 800)).toBe(800);
    // ...but a Retry-After beyond maxMs is capped there (a server must not park the run for longer).
    expect(backoffDelay(0, low, 2500)).toBe(1000);
  });

  it('spends the default 10 retries over at least 55 s even with the unluckiest draws', () => {
    const low = { baseMs: 200, maxMs: 30_000, random: () => 0 };
    const total = Array.from({ length: 10 }, (_, a) => backoffDelay(a, low)).reduce((s, d) => s + d, 0);
    expect(total).toBeGreaterThanOrEqual(55_000);
  });
});
