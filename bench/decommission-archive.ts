/**
 * Phase 5's archive: time `archiveNeo4j` (read the label's nodes by id pages, write the bundle, verify it)
 * over N memory nodes with 768-d embeddings and one relationship per node, printing nodes/s with the load
 * average. A smoke run: `node dist/bench/decommission-archive.js --uri bolt://127.0.0.1:7687 --nodes 5000`.
 * The label (`BenchArchiveMemory`) is emptied before and after.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import neo4j from 'neo4j-driver';
import { Neo4jGraphDatabase } from '../src/live/adapters/neo4j-graph-database.js';
import { archiveNeo4j } from '../src/live/decommission/neo4j-archive.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1]!;
};
const LABEL = 'BenchArchiveMemory';
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const uri = arg('uri', 'bolt://127.0.0.1:7687');
  const nodes = Number(arg('nodes', '5000'));
  const driver = neo4j.driver(uri);
  const clear = async (): Promise<void> => {
    const session = driver.session();
    await session.run(`MATCH (n:${LABEL}) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS`).finally(() => session.close());
  };
  const dir = await mkdtemp(join(tmpdir(), 'bench-archive-'));
  try {
    await clear();
    const neo = new Neo4jGraphDatabase({ driver, label: LABEL });
    await neo.ensureSchema({ vectorIndex: false });
    const embedding = (i: number): Float32Array => Float32Array.from({ length: 768 }, (_, k) => Math.sin(i * 0.37 + k));
    for (let i = 0; i < nodes; i += 500) {
      const batch = Array.from({ length: Math.min(500, nodes - i) }, (_, j) => ({
        id: `m${String(i + j).padStart(8, '0')}`,
        space: `space_${(i + j) % 4}`,
        content: `memory ${i + j}`,
        embedding: embedding(i + j),
        timestamp: new Date(1_700_000_000_000 + i + j).toISOString(),
      }));
      await Promise.all(batch.map((m) => neo.createMemory(m)));
    }
    const session = driver.session();
    await session
      .run(
        `MATCH (a:${LABEL}) WITH a ORDER BY a.id WITH collect(a) AS ns UNWIND range(0, size(ns) - 2) AS i WITH ns[i] AS a, ns[i + 1] AS b MERGE (a)-[:NEXT {weight: 0.5}]->(b)`,
      )
      .finally(() => session.close());
    const before = load();
    const t0 = performance.now();
    const summary = await archiveNeo4j({ driver, label: LABEL, out: join(dir, 'archive') });
    const seconds = (performance.now() - t0) / 1000;
    const archived = Object.values(summary.memories).reduce((a, b) => a + b, 0);
    console.log(
      `archive: ${archived} memories, ${summary.edges} edges in ${seconds.toFixed(2)} s (written and verified) = ${Math.round(archived / seconds)} nodes/s; load average before ${before}, after ${load()}`,
    );
  } finally {
    await clear();
    await driver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
