import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startEngramDouble } from '../helpers/engram-double/index.js';

describe('double options', () => {
  it('moves to the next free port when the asked one is busy, like engram start --port', async () => {
    const first = await startEngramDouble();
    const second = await startEngramDouble({ port: first.port });
    try {
      expect(second.port).toBeGreaterThan(first.port);
      expect(second.url).toBe(`http://127.0.0.1:${second.port}`);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('keeps connections alive', async () => {
    const double = await startEngramDouble();
    try {
      const res = await request(`${double.url}/health`);
      await res.body.dump();
      expect(res.headers['connection']).toBe('keep-alive');
      expect(res.headers['keep-alive']).toBe('timeout=60');
    } finally {
      await double.stop();
    }
  });

  it('rejects a bad capacity and bad initial faults before listening', async () => {
    await expect(startEngramDouble({ capacity: 0 })).rejects.toThrow(/capacity/);
    await expect(startEngramDouble({ faults: { resetRate: 2 } })).rejects.toThrow(/resetRate/);
  });

  it('applies faults given at start', async () => {
    const double = await startEngramDouble({ faults: { errorRates: { 503: 1 } } });
    try {
      const res = await request(`${double.url}/health`);
      await res.body.dump();
      expect(res.statusCode).toBe(503);
    } finally {
      await double.stop();
    }
  });
});
