/**
 * The load test, shortened (15 s at 500 writes/s, a 5 s Engram outage, kill -9 of the service
 * in the middle of it, restart on the same dead-letter queue): afterwards every write is in both stores
 * exactly as written, and the primary's P99 during the outage stays within 20% of before.
 * The full-length run is `node dist/bench/live-load.js`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runLiveLoad } from '../../bench/live-load-run.js';
import { testNeo4jUri, withTestDriver } from '../helpers/neo4j.js';

const LABEL = 'LiveLoadTestMemory';
let workDir = '';

afterAll(async () => {
  await withTestDriver(async (driver) => {
    const session = driver.session();
    try {
      await session.run(`MATCH (n:${LABEL}) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS`);
      await session.run(`DROP CONSTRAINT ${LABEL}_id_unique IF EXISTS`);
    } finally {
      await session.close();
    }
  });
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

it('keeps every dual write through an Engram outage and a kill -9 of the service, primary P99 unaffected', async () => {
  workDir = await mkdtemp(join(tmpdir(), 'live-load-'));
  const result = await runLiveLoad({
    neo4jUri: testNeo4jUri(),
    workDir,
    label: LABEL,
    space: 'live_load_test',
    rate: 500,
    durationMs: 15_000,
    outageAtMs: 5_000,
    outageMs: 5_000,
    killAtMs: 7_500,
    replayIntervalMs: 2_000,
    warmupMs: 2_000,
  });
  // the kill found writes queued for Engram (the outage) and writes whose primary outcome it cut off
  expect(result.restart.recovered.depth).toBeGreaterThan(100);
  expect(result.missing).toEqual({ inNeo4j: 0, inEngram: 0, phantomsInEngram: 0, contentMismatches: 0 });
  expect(result.writes.engram).toBe(result.writes.neo4j);
  expect(result.writes.loggedAcked).toBeGreaterThan(0.9 * 500 * 14);
  expect(result.writes.errors).toBe(0);
  expect(result.pass.rate).toBe(true);
  expect(result.latencyMs.outage.count).toBeGreaterThan(500);
  expect(result.p99Ratio).toBeLessThanOrEqual(1.2);
});
