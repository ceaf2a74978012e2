/**
 * Opening the Engram target against a server that calls itself unhealthy. Measured on the real server:
 * `/health` answers 503 `unhealthy` for a while on a busy machine while every route works (a load
 * failed on it before this was fixed). The double is set to answer so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngramTarget } from '../../../src/target/engram-target.js';
import { startEngramDouble, type EngramDouble } from '../../helpers/engram-double/index.js';

let double: EngramDouble;

beforeAll(async () => {
  double = await startEngramDouble({ faults: { health: 'unhealthy' } });
});

afterAll(async () => {
  await double?.stop();
});

describe('EngramTarget.open', () => {
  it('opens when /health answers 503 unhealthy, without retrying it', async () => {
    let retries = 0;
    const target = new EngramTarget({
      url: double.url,
      capacityPerSpace: 100_000,
      maxRetries: 2,
      retryBaseMs: 1,
      retryMaxMs: 2,
      onRetry: () => void retries++,
    });
    try {
      await expect(target.open()).resolves.toBeUndefined();
      expect(await target.client.health()).toEqual({ status: 'unhealthy' });
      expect(retries).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('still fails when nothing answers', async () => {
    const target = new EngramTarget({ url: 'http://127.0.0.1:1', capacityPerSpace: 100_000, maxRetries: 1, retryBaseMs: 1, retryMaxMs: 2 });
    try {
      await expect(target.open()).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE' });
    } finally {
      await target.close();
    }
  });
});
