import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { SourceThreads } from '../../../src/engine/source-threads.js';
import { WorkerPool } from '../../../src/engine/worker-pool.js';

const failing = fileURLToPath(new URL('../../fixtures/failing-thread.mjs', import.meta.url));
const readyWhenAsked = fileURLToPath(new URL('../../fixtures/ready-thread.mjs', import.meta.url));

describe('threads that die', () => {
  it('SourceThreads: a request to a dead reader fails, and close() returns although its exit already happened', async () => {
    const threads = new SourceThreads<{ op: string }, number>(1, failing, {});
    await expect(threads.request(0, { op: 'read' })).rejects.toThrow(/boom at startup/);
    await expect(threads.request(0, { op: 'read' })).rejects.toThrow(/boom at startup/);
    await threads.close();
  }, 30_000);

  it('SourceThreads: a thread is ready once it says so, and a dead one is ready to fail at once', async () => {
    const threads = new SourceThreads<{ op: string }, string>(2, readyWhenAsked, {});
    try {
      // Not ready before it has said so, although it answers requests.
      await expect(threads.request(0, { op: 'read' })).resolves.toBe('read');
      expect([threads.ready(0), threads.ready(1)]).toEqual([false, false]);
      // The 'ready' message comes before the answer to the same request: not taken for a reply.
      await expect(threads.request(1, { op: 'ready' })).resolves.toBe('ready');
      expect([threads.ready(0), threads.ready(1), threads.ready(3)]).toEqual([false, true, true]);
    } finally {
      await threads.close();
    }
    const dead = new SourceThreads<{ op: string }, number>(1, failing, {});
    await expect(dead.request(0, { op: 'read' })).rejects.toThrow(/boom at startup/);
    expect(dead.ready(0)).toBe(true);
    await dead.close();
  }, 30_000);

  it('WorkerPool: a worker that fails to start becomes a reported failure, not an uncaught exception', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const pool = new WorkerPool({ workers: 1, inferenceThreads: 1 }, null, { filename: failing });
    try {
      // The worker fails while no task is assigned: piscina reports it only through the pool's 'error' event.
      await vi.waitFor(() => expect(pool.failure).not.toBeNull(), { timeout: 25_000, interval: 20 });
      await expect(pool.run({ kind: 'cosine' } as never)).rejects.toMatchObject({
        code: 'INTERNAL',
        message: expect.stringMatching(/worker thread failed: boom at startup/),
      });
    } finally {
      await pool.close();
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  }, 30_000);
});
