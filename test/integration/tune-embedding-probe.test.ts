import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBenchGraph } from '../../bench/bench-graph.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { probeEmbeddings } from '../../src/tune/embedding-probe.js';
import { startEmbeddingsDouble, type EmbeddingsDouble } from '../helpers/embeddings-double.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';

const LABEL = 'ProbeDoc';
const PRESENT = 'ProbeDocComplete';

let double: EmbeddingsDouble;
beforeAll(async () => {
  const driver = testDriver();
  try {
    await ensureBenchGraph(driver, { label: LABEL, nodes: 300, missing: 0.2, seed: 9 }, () => undefined);
    await ensureBenchGraph(driver, { label: PRESENT, nodes: 50, missing: 0, seed: 10 }, () => undefined);
  } finally {
    await driver.close();
  }
  double = await startEmbeddingsDouble();
});
afterAll(() => double?.stop());

const config = (model: Record<string, unknown>, labels = [LABEL]) =>
  resolveConfig({ source: { uri: testNeo4jUri(), labels }, model: { path: resolve('models/tiny'), ...model }, engine: { workers: 2, inferenceThreads: 1 } });

describe('tune embedding probe', () => {
  it('local model: times fp32 and q8 on texts of nodes without an embedding and reports their cosine', async () => {
    const report = await probeEmbeddings(config({}), { texts: 12, cores: 2 });
    expect(report).not.toBeNull();
    expect(report!.provider).toBe('local');
    expect(report!.missing).toBeGreaterThan(0);
    expect(report!.missing).toBeLessThan(300);
    expect(report!.texts).toBe(12);
    expect(report!.options.map((o) => [o.dtype, o.concurrency, o.error])).toEqual([
      ['fp32', null, null],
      ['q8', null, null],
    ]);
    for (const o of report!.options) expect(o.textsPerSecond).toBeGreaterThan(0);
    const f = report!.fidelity!;
    expect(f.texts).toBe(12);
    expect(f.minCosine).toBeGreaterThanOrEqual(-1);
    expect(f.meanCosine).toBeLessThanOrEqual(1.00001);
    expect(f.minCosine).toBeLessThanOrEqual(f.meanCosine);
    // int8 weights of the same model: the vectors point almost the same way (generous bound).
    expect(f.meanCosine).toBeGreaterThan(0.9);
    expect(['fp32', 'q8']).toContain(report!.recommendation?.dtype);
  }, 180_000);

  it('provider openai: times each request concurrency against the server; no dtype, no fidelity', async () => {
    const before = double.requests.length;
    const report = await probeEmbeddings(config({ provider: 'openai', url: double.url, name: 'bge-base-en-v1.5', batchSize: 4, concurrency: 2 }), {
      texts: 16,
    });
    expect(report!.provider).toBe('openai');
    expect(report!.options.map((o) => [o.dtype, o.concurrency, o.error])).toEqual([
      [null, 1, null],
      [null, 2, null],
      [null, 8, null],
    ]);
    expect(report!.fidelity).toBeNull();
    expect([1, 2, 8]).toContain(report!.recommendation?.concurrency);
    // Each option: a warm-up request per client, then 16 texts in requests of 4.
    expect(double.requests.length - before).toBe(3 * (2 + 4));
  }, 60_000);

  it('is null when every node of the run has an embedding', async () => {
    expect(await probeEmbeddings(config({}, [PRESENT]), { texts: 8 })).toBeNull();
  }, 60_000);
});
