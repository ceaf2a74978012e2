/**
 * Benchmark graphs: documents only, under labels of their own so they never disturb other data.
 * `BenchDoc` nodes all carry a 768-d embedding; `BenchDocMissing` nodes lack one in `missing` of cases
 * (generation cost). Deterministic from the seed; a stamp node records what was loaded so reruns reuse it.
 */
import neo4j, { type Driver } from 'neo4j-driver';
import { SeededRandom } from '../src/sample/seeded-random.js';

export interface BenchGraphSpec {
  label: string;
  nodes: number;
  missing: number;
  seed: number;
}

const WORDS =
  'graph memory neo4j engram vector node edge query index batch stream worker thread cosine model token layer weight recall activation decay schema cursor backfill validate shadow cutover rollback queue retry limit bundle'.split(
    ' ',
  );

function uuid(rng: SeededRandom): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng.float() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function row(rng: SeededRandom, spec: BenchGraphSpec): Record<string, unknown> {
  const words = Array.from({ length: 20 + Math.floor(rng.float() * 40) }, () => WORDS[Math.floor(rng.float() * WORDS.length)]!);
  const withEmbedding = rng.float() >= spec.missing;
  return {
    id: uuid(rng),
    content: words.join(' '),
    t: 1_600_000_000_000 + Math.floor(rng.float() * 100_000_000_000),
    e: withEmbedding ? Array.from({ length: 768 }, () => rng.float() * 2 - 1) : null,
  };
}

async function stamp(driver: Driver, spec: BenchGraphSpec): Promise<string | null> {
  const r = await driver.executeQuery('MATCH (s:BenchStamp {label: $label}) RETURN s.spec AS spec', { label: spec.label });
  return (r.records[0]?.get('spec') as string | undefined) ?? null;
}

/** Loads (or reuses) a benchmark graph; returns the seconds spent loading (0 when reused). */
export async function ensureBenchGraph(driver: Driver, spec: BenchGraphSpec, log: (line: string) => void): Promise<number> {
  const key = JSON.stringify(spec);
  if ((await stamp(driver, spec)) === key) return 0;
  const started = performance.now();
  log(`loading ${spec.nodes} :${spec.label} nodes (${Math.round(spec.missing * 100)}% without embedding)`);
  await driver.executeQuery(`MATCH (s:BenchStamp {label: $label}) DELETE s`, { label: spec.label });
  const session = driver.session(); // CALL { } IN TRANSACTIONS needs an implicit transaction
  try {
    await session.run(`MATCH (n:\`${spec.label}\`) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS`);
  } finally {
    await session.close();
  }
  await driver.executeQuery(`CREATE CONSTRAINT IF NOT EXISTS FOR (n:\`${spec.label}\`) REQUIRE n.id IS UNIQUE`);
  const rng = SeededRandom.forElement(spec.seed, spec.label, 0);
  const batch = 1000;
  for (let done = 0; done < spec.nodes; done += batch) {
    const rows = Array.from({ length: Math.min(batch, spec.nodes - done) }, () => row(rng, spec));
    await driver.executeQuery(
      `UNWIND $rows AS r CREATE (n:\`${spec.label}\` {id: r.id, content: r.content, created_at: datetime({epochMillis: toInteger(r.t)})}) SET n.embedding = r.e`,
      { rows },
    );
    if ((done / batch) % 20 === 0) log(`  ${done + rows.length}/${spec.nodes}`);
  }
  await driver.executeQuery('CREATE (:BenchStamp {label: $label, spec: $spec})', { label: spec.label, spec: key });
  const seconds = (performance.now() - started) / 1000;
  log(`loaded in ${seconds.toFixed(1)} s (${Math.round(spec.nodes / seconds)} nodes/s)`);
  return seconds;
}

export function benchDriver(uri: string): Driver {
  return neo4j.driver(uri);
}
