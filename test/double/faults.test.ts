import { request } from 'undici';
import { beforeEach, describe, expect, it } from 'vitest';
import { call, remember, unitVector, sharedDouble } from './double-client.js';

const double = sharedDouble();
beforeEach(() => {
  double.setFaults(null);
  double.resetStats();
  double.store.clear();
});

async function statuses(n: number, path = '/health'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(double.url, 'GET', path)).status);
  return out;
}

/** Status code, or the error code when the request failed at the socket level. */
async function outcome(url: string): Promise<number | string> {
  try {
    const res = await request(`${url}/health`, { reset: true });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

describe('error rates', () => {
  it('injects each status at its rate, within 5 sigma over 1,000 requests, and counts them', async () => {
    double.setFaults({ seed: 7, errorRates: { 500: 0.2, 503: 0.1 } });
    const got = await statuses(1000);
    const n500 = got.filter((s) => s === 500).length;
    const n503 = got.filter((s) => s === 503).length;
    expect(Math.abs(n500 - 200)).toBeLessThan(5 * Math.sqrt(1000 * 0.2 * 0.8));
    expect(Math.abs(n503 - 100)).toBeLessThan(5 * Math.sqrt(1000 * 0.1 * 0.9));
    expect(double.stats.injected.errors).toEqual({ 500: n500, 503: n503 });
  });

  it('sends Retry-After and MEMORY_CLUSTER_UNAVAILABLE with 503, MEMORY_SYSTEM_ERROR with 500', async () => {
    double.setFaults({ errorRates: { 503: 1 }, retryAfterSeconds: 7 });
    const unavailable = await call(double.url, 'GET', '/api/v1/memories');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('7');
    expect(unavailable.json.error.code).toBe('MEMORY_CLUSTER_UNAVAILABLE');
    double.setFaults({ errorRates: { 500: 1 } });
    expect((await call(double.url, 'GET', '/api/v1/memories')).json.error.code).toBe('MEMORY_SYSTEM_ERROR');
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const run = async (seed: number): Promise<number[]> => {
      double.setFaults({ seed, errorRates: { 500: 0.5 } });
      return statuses(60);
    };
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
  });

  it('does not apply a faulted write by default, applies it with faultTiming=after', async () => {
    double.setFaults({ errorRates: { 500: 1 } });
    expect((await remember(double.url, { id: 'before', content: 'c', embedding: unitVector(1) })).status).toBe(500);
    expect(double.store.get('default', 'before')).toBeUndefined();
    double.setFaults({ errorRates: { 500: 1 }, faultTiming: 'after' });
    expect((await remember(double.url, { id: 'after', content: 'c', embedding: unitVector(2) })).status).toBe(500);
    expect(double.store.get('default', 'after')).toBeDefined();
  });

  it('limits faults to writes with scope=writes', async () => {
    double.setFaults({ errorRates: { 500: 1 }, scope: 'writes' });
    expect((await call(double.url, 'GET', '/api/v1/memories')).status).toBe(200);
    expect((await remember(double.url, { content: 'c' })).status).toBe(500);
  });

  it('rejects invalid faults, naming the field', () => {
    expect(() => double.setFaults({ errorRates: { 500: 1.5 } })).toThrow(/errorRates\.500/);
    expect(() => double.setFaults({ errorRates: { 500: 0.6, 503: 0.6 } })).toThrow(/sum/);
    expect(() => double.setFaults({ slowdownFactor: 0.5 })).toThrow(/slowdownFactor/);
  });
});

describe('latency and slow-down', () => {
  it('adds the fixed latency and counts it', async () => {
    double.setFaults({ latencyMs: 120 });
    const ms = await timed(() => call(double.url, 'GET', '/health'));
    expect(ms).toBeGreaterThanOrEqual(115);
    expect(double.stats.injected).toMatchObject({ delayed: 1 });
    expect(double.stats.injected.addedLatencyMs).toBeCloseTo(120, 5);
  });

  it('adds jitter below jitterMs', async () => {
    double.setFaults({ seed: 3, jitterMs: 40 });
    await statuses(20);
    const added = double.stats.injected.addedLatencyMs;
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThan(20 * 40);
  });

  it('multiplies the answer time by slowdownFactor', async () => {
    double.setFaults({ latencyMs: 40, slowdownFactor: 4 });
    const ms = await timed(() => call(double.url, 'GET', '/health'));
    expect(ms).toBeGreaterThanOrEqual(155);
    expect(double.stats.injected.slowed).toBe(1);
  });
});

describe('connection resets', () => {
  it('resets the connection: the client sees ECONNRESET', async () => {
    double.setFaults({ resetRate: 1 });
    expect(await outcome(double.url)).toBe('ECONNRESET');
    expect(double.stats.injected.resets).toBe(1);
    double.setFaults(null);
    expect(await outcome(double.url)).toBe(200);
  });

  it('resets at the configured rate', async () => {
    double.setFaults({ seed: 5, resetRate: 0.3 });
    const results = [];
    for (let i = 0; i < 200; i++) results.push(await outcome(double.url));
    const resets = results.filter((r) => r !== 200).length;
    expect(Math.abs(resets - 60)).toBeLessThan(5 * Math.sqrt(200 * 0.3 * 0.7));
    expect(double.stats.injected.resets).toBe(resets);
  });
});

describe('outage window', () => {
  it('refuses connections for the window, then recovers on the same port', async () => {
    expect(await outcome(double.url)).toBe(200);
    double.setFaults({ outage: { durationMs: 400, mode: 'refuse' } });
    expect(await outcome(double.url)).toBe('ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 550));
    expect(await outcome(double.url)).toBe(200);
    expect(double.stats.injected.outageWindows).toBe(1);
  });

  it('resets every request during a reset-mode window, then recovers', async () => {
    double.setFaults({ outage: { durationMs: 300, mode: 'reset' } });
    expect(await outcome(double.url)).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    await new Promise((r) => setTimeout(r, 400));
    expect(await outcome(double.url)).toBe(200);
  });

  it('answers 503 with Retry-After during a 503-mode window, then recovers', async () => {
    double.setFaults({ outage: { durationMs: 2500, mode: '503' } });
    const during = await call(double.url, 'GET', '/api/v1/memories');
    expect(during.status).toBe(503);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThanOrEqual(2);
    double.setFaults(null);
    expect((await call(double.url, 'GET', '/api/v1/memories')).status).toBe(200);
  });

  it('ends a refuse window early when the faults are cleared', async () => {
    double.setFaults({ outage: { durationMs: 60_000, mode: 'refuse' } });
    expect(await outcome(double.url)).toBe('ECONNREFUSED');
    double.setFaults(null);
    await new Promise((r) => setTimeout(r, 50));
    expect(await outcome(double.url)).toBe(200);
  });
});
