import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exitCodeForSummary } from '../../src/cli/backfill-command.js';
import { backfill } from '../../src/engine/backfill.js';
import { driverFor, loadFixtureGraph, testConfig } from '../helpers/backfill-fixture.js';
import { rememberEcho, startTinyServer, type TinyAnswer, type TinyRequest, type TinyServer } from '../helpers/tiny-http.js';

const NODES = 300;
let driver: Driver;
const servers: TinyServer[] = [];

beforeAll(async () => {
  driver = driverFor();
  await loadFixtureGraph(driver, NODES, 43, false);
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  await driver?.close();
});

/** An Engram stand-in: empty spaces on reads, `onWrite` for remembers. */
async function engram(onWrite: (req: TinyRequest, index: number) => TinyAnswer): Promise<TinyServer> {
  let writes = 0;
  const server = await startTinyServer((req) => {
    if (req.method === 'GET') return { status: 200, body: { memories: [], count: 0, tier_counts: { hot: 0, warm: 0, cold: 0, total: 0 } } };
    return onWrite(req, writes++);
  });
  servers.push(server);
  return server;
}

it('Ctrl-C during an Engram batch ends "aborted" with exit 130, and --resume finishes without re-sending acknowledged batches', async () => {
  const controller = new AbortController();
  let interrupted = false;
  const sent: string[] = [];
  const server = await engram((req, i) => {
    if (interrupted || i < 100) {
      sent.push((JSON.parse(req.body) as { id: string }).id);
      return rememberEcho(req);
    }
    interrupted = true;
    controller.abort(new Error('interrupted'));
    return { hang: true };
  });
  const config = testConfig({
    target: { kind: 'engram', url: server.url, concurrency: 1, maxRetries: 0 },
    engine: { batchSize: 50, edges: false, workers: 1 },
    source: { readers: 1 },
  });
  const summary = await backfill({ config, signal: controller.signal });
  expect(summary.error).toBeNull();
  expect(summary.status).toBe('aborted');
  expect(exitCodeForSummary(summary)).toBe(130);
  const acknowledged = summary.counters.memoriesWritten;
  expect(acknowledged).toBeGreaterThan(0);

  const before = sent.length;
  const resumed = await backfill({ config, resume: true });
  expect(resumed.error).toBeNull();
  expect(resumed.status).toBe('completed');
  expect(resumed.counters.memoriesWritten).toBe(NODES);
  expect(new Set(sent).size).toBe(NODES);
  expect(sent.length - before).toBe(NODES - acknowledged);
});
