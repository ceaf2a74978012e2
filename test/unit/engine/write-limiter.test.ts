import { afterEach, describe, expect, it, vi } from 'vitest';
import { refillFor, WriteLimiter } from '../../../src/engine/write-limiter.js';

const limiters: WriteLimiter[] = [];
function limiterOf(rate: number): WriteLimiter {
  const l = new WriteLimiter({ rate, concurrency: 0 });
  limiters.push(l);
  return l;
}

afterEach(async () => {
  vi.useRealTimers(); // bottleneck's stop() waits on a timer
  for (const l of limiters.splice(0)) await l.stop();
});

/** Schedules jobs of `weight` records and returns how many records were written after `seconds` of fake time. */
async function recordsAfter(limiter: WriteLimiter, jobs: number, weight: number, seconds: number): Promise<number> {
  let done = 0;
  for (let i = 0; i < jobs; i++) void limiter.schedule(weight, async () => void (done += weight)).catch(() => undefined);
  await vi.advanceTimersByTimeAsync(seconds * 1000);
  const result = done;
  await vi.advanceTimersByTimeAsync(60_000); // drain the rest so the limiter stops idle
  return result;
}

describe('WriteLimiter (bottleneck token bucket)', () => {
  it('computes whole-token refills that give the rate exactly', () => {
    for (const rate of [1, 7, 150, 155, 1000, 12_345]) {
      const { amount, intervalMs } = refillFor(rate);
      expect(Number.isInteger(amount)).toBe(true);
      expect((amount * 1000) / intervalMs).toBeCloseTo(rate, 6);
    }
  });

  it('holds the record rate within ±5% over 10 s', async () => {
    vi.useFakeTimers();
    const limiter = limiterOf(2_000);
    const done = await recordsAfter(limiter, 550, 40, 10);
    expect(done).toBeGreaterThanOrEqual(2_000 * 10 * 0.95);
    expect(done).toBeLessThanOrEqual(2_000 * 10 * 1.05);
  });

  it('changes rate while running', async () => {
    vi.useFakeTimers();
    const limiter = limiterOf(200);
    const slow = await recordsAfter(limiter, 110, 10, 5);
    const updated = limiter.update({ rate: 2_000 });
    await vi.advanceTimersByTimeAsync(1); // bottleneck applies settings after a timer tick
    await updated;
    const fast = await recordsAfter(limiter, 1_100, 10, 5);
    expect(slow).toBeGreaterThanOrEqual(950);
    expect(slow).toBeLessThanOrEqual(1_050);
    expect(fast).toBeGreaterThanOrEqual(9_500);
    expect(fast).toBeLessThanOrEqual(10_500);
  });

  it('checks the bucket every 5 ms only while a rate is set, and holds a rate set on an unlimited limiter', async () => {
    vi.useFakeTimers();
    const limiter = limiterOf(0);
    expect(limiter.heartbeatMs).toBe(60_000); // no wake-ups of the main thread for a bucket nothing uses
    const updated = limiter.update({ rate: 500 });
    await vi.advanceTimersByTimeAsync(1);
    await updated;
    expect(limiter.heartbeatMs).toBe(5);
    const done = await recordsAfter(limiter, 300, 10, 4);
    expect(done).toBeGreaterThanOrEqual(500 * 4 * 0.95);
    expect(done).toBeLessThanOrEqual(500 * 4 * 1.05);
    const back = limiter.update({ rate: 0 });
    await vi.advanceTimersByTimeAsync(1);
    await back;
    expect(limiter.heartbeatMs).toBe(60_000);
    expect(await limiter.schedule(1_000_000, async () => 'direct')).toBe('direct');
  });

  it('runs jobs directly when no rate is set', async () => {
    const limiter = new WriteLimiter({ rate: 0, concurrency: 4 });
    expect(await limiter.schedule(1_000_000, async () => 'now')).toBe('now');
    expect(limiter.concurrency).toBe(4);
  });

  it('lets a job heavier than one refill through, paying its tokens piecewise', async () => {
    vi.useFakeTimers();
    const limiter = limiterOf(100);
    let finished = false;
    void limiter.schedule(250, async () => void (finished = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(finished).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(finished).toBe(true);
  });
});
