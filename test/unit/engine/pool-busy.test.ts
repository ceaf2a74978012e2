import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { workerModelOptions } from '../../../src/engine/worker-model-options.js';
import { WorkerPool } from '../../../src/engine/worker-pool.js';
import { sharedFloat32 } from '../../../src/shared/shared-memory.js';

// Runs the compiled worker (dist/) on models/tiny (npm run setup).
describe('worker pool busy share', () => {
  it('is null before any task, and counts run time over threads × the time tasks were queued or running, idle gaps excluded', async () => {
    const config = resolveConfig({ model: { path: resolve('models/tiny') } });
    const pool = new WorkerPool({ workers: 2, inferenceThreads: 1 }, workerModelOptions(config.model));
    try {
      expect(pool.busy()).toMatchObject({ workers: 2, tasks: 0, busyShare: null });
      const texts = Array.from({ length: 16 }, (_, i) => `text number ${i} about graphs and memories`);
      const burst = (): Promise<unknown[]> =>
        Promise.all(Array.from({ length: 6 }, () => pool.run({ kind: 'embed', texts, out: sharedFloat32(texts.length * 768), offset: 0 })));
      const started = performance.now();
      await burst();
      const idleMs = 300;
      await delay(idleMs); // an idle gap: not part of the time the pool had work
      await burst();
      const wallSeconds = (performance.now() - started) / 1000;
      const b = pool.busy();
      expect(b.tasks).toBe(12);
      expect(b.activeSeconds).toBeGreaterThan(0);
      expect(b.activeSeconds).toBeLessThanOrEqual(wallSeconds - idleMs / 1000 + 0.01);
      expect(b.busySeconds).toBeGreaterThan(0);
      expect(b.busySeconds).toBeLessThanOrEqual(2 * b.activeSeconds + 0.01);
      // Six tasks queued per burst for two threads: they are busy for most of it (piscina's own
      // utilization figure read 1000× too low; this bound catches such a unit slip).
      expect(b.busyShare).toBeGreaterThan(0.1);
      expect(b.busyShare).toBeLessThanOrEqual(1);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
