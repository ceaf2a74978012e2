import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { loadBundle } from '../../../src/engine/load-bundle.js';
import { bundleLine, writeBundle } from '../../helpers/bundle-fixture.js';
import { rememberEcho, startTinyServer, type TinyServer } from '../../helpers/tiny-http.js';

let server: TinyServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('load keeps the next batch ready while one is in flight', () => {
  it('never has more than `concurrency` requests in flight, sends each memory once in order of batches, and checkpoints every one', async () => {
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    server = await startTinyServer(async (req) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5)); // answer a little later, so overlaps would show
      order.push((JSON.parse(req.body) as { id: string }).id);
      inFlight--;
      return rememberEcho(req);
    });
    const ids = (prefix: string): string[] => Array.from({ length: 7 }, (_, i) => `${prefix}${i}`);
    const bundle = await writeBundle({ docs: ids('d').map((id) => bundleLine(id, 'docs')), notes: ids('n').map((id) => bundleLine(id, 'notes')) });
    const runDir = mkdtempSync(join(tmpdir(), 'em-load-pipeline-'));
    const config = resolveConfig({ target: { kind: 'engram', url: server.url, maxRetries: 0, concurrency: 2 }, engine: { pauseMs: 0, batchSize: 3 }, runDir });
    const progress: number[] = [];
    const summary = await loadBundle({ bundleDir: bundle, config, onProgress: (done) => progress.push(done) });
    expect(summary.status).toBe('completed');
    expect(summary.loaded).toBe(14);
    expect(most).toBeLessThanOrEqual(2);
    expect([...order].sort()).toEqual([...ids('d'), ...ids('n')].sort());
    // Batches of 3 per space file: every id of a batch is answered before any id of the next batch.
    const batchOf = (id: string): number => (id.startsWith('d') ? 0 : 3) + Math.floor(Number(id.slice(1)) / 3);
    const batches = order.map(batchOf);
    expect(batches).toEqual([...batches].sort((a, b) => a - b));
    expect(progress).toEqual([3, 6, 7, 10, 13, 14]);
    const checkpoint = JSON.parse(readFileSync(join(runDir, 'load-checkpoint.json'), 'utf8')) as { loaded: number };
    expect(checkpoint.loaded).toBe(14);
  });
});
