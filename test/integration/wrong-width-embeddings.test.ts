import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../src/engine/backfill.js';
import { validate } from '../../src/validate/validate.js';
import { driverFor, loadFixtureGraph, readBundleMemories, testConfig } from '../helpers/backfill-fixture.js';

// The fixture plants one 3-number embedding; this adds a 384-wide (MiniLM-sized) one.
const WRONG_WIDTH = ['planted-bad-width', 'minilm-384'];

let driver: Driver;
beforeAll(async () => {
  driver = driverFor();
  await loadFixtureGraph(driver, 60, 14);
  await driver.executeQuery("CREATE (:Document {id: 'minilm-384', content: 'embedded by a smaller model', embedding: [i IN range(1, 384) | 0.01 * i]})");
});
afterAll(() => driver?.close());

describe('mapping.onWrongWidth: regenerate', () => {
  it('backfills a generated 768-d vector for stored embeddings of another width, counts them, and validation expects the regenerated vector', async () => {
    const config = testConfig({ mapping: { onWrongWidth: 'regenerate' } });
    const summary = await backfill({ config });
    expect(summary.status).toBe('completed');
    expect(summary.counters.embeddingsRegeneratedWrongWidth).toBe(2);
    expect(summary.rejectsByCode.EMBEDDING_WIDTH).toBeUndefined();
    // The pool's busy share while it had work: a share of its threads' time, reported with its inputs.
    const pool = summary.pool!;
    expect(pool.tasks).toBeGreaterThan(0);
    expect(pool.busyShare).toBeGreaterThan(0);
    expect(pool.busyShare).toBeLessThanOrEqual(1);
    expect(pool.busySeconds).toBeLessThanOrEqual(pool.workers * pool.activeSeconds + 0.01);
    const memories = readBundleMemories(config.target.path).filter((m) => WRONG_WIDTH.includes(m.id));
    expect(memories.map((m) => [m.id, m.vector.length, m.embedding_source]).sort()).toEqual([
      ['minilm-384', 768, 'generated'],
      ['planted-bad-width', 768, 'generated'],
    ]);

    const report = await validate({ config, sampleSize: 100_000, thresholds: { maxRejectedRate: 0.2 } });
    expect(report.faults.filter((f) => WRONG_WIDTH.includes(f.id))).toEqual([]);
    expect(report.counters.regeneratedWrongWidth).toBe(2);
    expect(report.rejectedByMappingByCode.EMBEDDING_WIDTH).toBeUndefined();
    expect(report.checks.find((c) => c.name === 'embedding')?.status).toBe('pass');
  });

  it('rejects them by default', async () => {
    const summary = await backfill({ config: testConfig() });
    expect(summary.rejectsByCode.EMBEDDING_WIDTH).toBe(2);
    expect(summary.counters.embeddingsRegeneratedWrongWidth).toBe(0);
  });
});
