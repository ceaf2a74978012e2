/**
 * Paging benchmark (issue 10): a label without any key, migrated by Neo4j's element id, at 100k nodes.
 * Measured side by side in one run against one Neo4j:
 *   seek     the engine's node-id pages (`WHERE id(n) IN range($lo, $hi)`, a NodeByIdSeek)
 *   scan     the obvious alternative, `MATCH (n:L) WHERE id(n) > $after ORDER BY id(n) LIMIT $n`
 *            (a label scan from the start on every page)
 * For each: db hits (PROFILE) of the first and the last page and their ratio (paging cost against the
 * position in the graph), and the wall time to read every page. Then the whole backfill of the label
 * (element-id memory ids) against the same label keyed by a uniqueness constraint, nodes/s and ratio.
 *
 *   npm run build && node dist/bench/paging.js [--nodes 100000] [--batch-size 10000] [--port 7721]
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import neo4j, { type Driver } from 'neo4j-driver';
import { resolveConfig } from '../src/config/resolve-config.js';
import { backfill } from '../src/engine/backfill.js';
import { installNeo4j, isPortInUse, startNeo4j } from '../src/sample/neo4j-server.js';
import { totalDbHits, type ProfiledPlan } from '../src/source/profile-hits.js';
import { nodePageCypher } from '../src/source/neo4j-source.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100000' },
    'batch-size': { type: 'string', default: '10000' },
    port: { type: 'string', default: '7721' },
  },
});
const NODES = Number(values.nodes);
const BATCH = Number(values['batch-size']);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function load(driver: Driver): Promise<void> {
  const session = driver.session();
  try {
    await session.run('MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS');
    await session.run('CREATE CONSTRAINT keyed_id IF NOT EXISTS FOR (k:Keyed) REQUIRE k.id IS UNIQUE');
    for (const label of ['Unkeyed', 'Keyed']) {
      await session.run(
        `UNWIND range(1, $n) AS i CALL (i) { CREATE (:${label} {id: i, name: 'item ' + i, body: 'text of item ' + i}) } IN TRANSACTIONS OF 10000 ROWS`,
        { n: neo4j.int(NODES) },
      );
    }
  } finally {
    await session.close();
  }
}

async function dbHits(driver: Driver, cypher: string, params: Record<string, unknown>): Promise<number> {
  const session = driver.session();
  try {
    const result = await session.run(`PROFILE ${cypher}`, params);
    return totalDbHits(result.summary.profile as unknown as ProfiledPlan);
  } finally {
    await session.close();
  }
}

const SCAN = 'MATCH (n:Unkeyed) WHERE id(n) > $after WITH n ORDER BY id(n) LIMIT $limit RETURN elementId(n), n {.*}, id(n)';

async function readAll(driver: Driver, variant: 'seek' | 'scan', lo: number, hi: number): Promise<{ seconds: number; nodes: number }> {
  const started = performance.now();
  let nodes = 0;
  const session = driver.session();
  try {
    for (let after = lo - 1; after < hi; ) {
      const result =
        variant === 'seek'
          ? await session.run(nodePageCypher({ label: 'Unkeyed', earlier: [] }, [], 'embedding'), {
              lo: neo4j.int(after + 1),
              hi: neo4j.int(Math.min(hi, after + BATCH)),
              limit: neo4j.int(BATCH),
            })
          : await session.run(SCAN, { after: neo4j.int(after), limit: neo4j.int(BATCH) });
      nodes += result.records.length;
      const last = result.records.at(-1);
      after = variant === 'seek' ? (result.records.length === BATCH ? Number(last!.get(5)) : Math.min(hi, after + BATCH)) : last ? Number(last.get(2)) : hi;
    }
  } finally {
    await session.close();
  }
  return { seconds: (performance.now() - started) / 1000, nodes };
}

async function migrate(uri: string, label: string): Promise<number> {
  const dir = resolve(tmpdir(), `paging-${label}-${process.pid}`);
  const config = resolveConfig({
    source: { uri, labels: [label] },
    target: { kind: 'bundle', path: `${dir}/bundle` },
    engine: { batchSize: BATCH, pauseMs: 0, edges: false },
    runDir: `${dir}/run`,
    mapping: { generateMissingEmbeddings: false, textProperties: {} },
  });
  const started = performance.now();
  const summary = await backfill({ config, overwrite: true });
  const seconds = (performance.now() - started) / 1000;
  rmSync(dir, { recursive: true, force: true });
  if (summary.error) throw new Error(`${summary.error.code}: ${summary.error.message}`);
  // No embeddings and generation off: every node is read, keyed, mapped and logged as a reject
  // (NO_TEXT_FOR_EMBEDDING); the bench measures the read and key path, not inference or writes.
  log(
    `  ${label}: ${summary.counters.nodesRead} nodes read and mapped (${summary.counters.nodesRejected} logged as rejects: no embedding, generation off) in ${seconds.toFixed(1)} s`,
  );
  return summary.counters.nodesRead / seconds;
}

async function main(): Promise<void> {
  const port = Number(values.port);
  await installNeo4j({ log });
  const server = (await isPortInUse(port))
    ? null
    : await startNeo4j({ port, dataDir: resolve('.runs/neo4j-paging-bench'), auth: false, heap: '2g', pageCache: '1g' });
  const uri = `bolt://127.0.0.1:${port}`;
  const driver = neo4j.driver(uri);
  try {
    log(`loading ${NODES} :Unkeyed (no constraint) and ${NODES} :Keyed (unique id) nodes`);
    await load(driver);
    const session = driver.session();
    const b = (await session.run('MATCH (n:Unkeyed) RETURN min(id(n)) AS lo, max(id(n)) AS hi')).records[0]!;
    await session.close();
    const [lo, hi] = [Number(b.get('lo')), Number(b.get('hi'))];
    const seek = (from: number): Promise<number> =>
      dbHits(driver, nodePageCypher({ label: 'Unkeyed', earlier: [] }, [], 'embedding'), {
        lo: neo4j.int(from),
        hi: neo4j.int(from + BATCH - 1),
        limit: neo4j.int(BATCH),
      });
    const scan = (after: number): Promise<number> => dbHits(driver, SCAN, { after: neo4j.int(after), limit: neo4j.int(BATCH) });
    const rows = [
      { variant: 'seek (engine)', first: await seek(lo), last: await seek(hi - BATCH + 1) },
      { variant: 'label scan', first: await scan(lo - 1), last: await scan(hi - BATCH) },
    ];
    const load1 = loadavg()[0]!.toFixed(2);
    // Each measured twice, alternating, the second kept: the first pays for cold caches and the JIT.
    await readAll(driver, 'seek', lo, hi);
    await readAll(driver, 'scan', lo, hi);
    const timing = { seek: await readAll(driver, 'seek', lo, hi), scan: await readAll(driver, 'scan', lo, hi) };
    await migrate(uri, 'Unkeyed');
    await migrate(uri, 'Keyed');
    const perSecond = { elementId: await migrate(uri, 'Unkeyed'), keyed: await migrate(uri, 'Keyed') };
    const load2 = loadavg()[0]!.toFixed(2);
    console.log(`paging ${NODES} nodes of a label without a key, pages of ${BATCH} (load average ${load1} → ${load2})`);
    console.log('variant         db hits first page  db hits last page  last/first  read all pages');
    for (const r of rows) {
      const t = r.variant.startsWith('seek') ? timing.seek : timing.scan;
      console.log(
        `${r.variant.padEnd(16)}${String(r.first).padStart(18)}${String(r.last).padStart(19)}${(r.last / r.first).toFixed(2).padStart(12)}   ${t.seconds.toFixed(2)} s (${t.nodes} nodes)`,
      );
    }
    console.log(`read time, label scan / seek: ${(timing.scan.seconds / timing.seek.seconds).toFixed(2)}`);
    console.log(
      `backfill read+map by element id: ${Math.round(perSecond.elementId)} nodes/s; keyed by a unique id: ${Math.round(perSecond.keyed)} nodes/s; ratio ${(perSecond.elementId / perSecond.keyed).toFixed(2)}`,
    );
  } finally {
    await driver.close();
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
