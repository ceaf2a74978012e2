import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { driverFor, loadFixtureGraph, testConfig } from '../helpers/backfill-fixture.js';

let driver: Driver;
let engram: EngramDouble;

beforeAll(async () => {
  driver = driverFor();
  await loadFixtureGraph(driver, 2_000, 41, false);
  engram = await startEngramDouble({ faults: { latencyMs: 2 } });
});

afterAll(async () => {
  await engram?.stop();
  await driver?.close();
});

it('keeps reading ahead against a slow target without overflowing the worker pool queue', async () => {
  // Small pages, deep pipeline, two readers and two workers: many slices wait while the target is slow.
  const config = testConfig({
    source: { readers: 2 },
    target: { kind: 'engram', url: engram.url, concurrency: 2 },
    engine: { batchSize: 100, maxInflightBatches: 8, workers: 2, edges: false },
  });
  const summary = await backfill({ config });
  expect(summary.error).toBeNull();
  expect(summary.counters.memoriesWritten).toBe(2_000);
});
