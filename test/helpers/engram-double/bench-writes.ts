/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): write-throughput measurement of the double.
 *   npx tsx test/helpers/engram-double/bench-writes.ts [--memories 100000] [--writes 20000] [--connections 16]
 * 1. store only: seed a space to `--memories`, then time `--writes` more remember calls (the space
 *    is full, so every write also evicts);
 * 2. over HTTP: a double in its own process (one core), seeded to `--memories`, fed by an undici
 *    pool from this process with pre-serialised bodies; reports writes/s and latency percentiles.
 */
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { EngramDoubleStore, fillGaussian } from './engram-double-store.js';
import { spawnEngramDouble } from './spawn-engram-double.js';
import { EMBEDDING_DIM } from './types.js';

const { values } = parseArgs({
  options: {
    memories: { type: 'string', default: '100000' },
    writes: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '16' },
  },
});
const MEMORIES = Number(values.memories);
const WRITES = Number(values.writes);
const CONNECTIONS = Number(values.connections);

function randomVectors(count: number, seed: number): Float32Array[] {
  const rng = xoroshiro128plus(seed);
  return Array.from({ length: count }, () => {
    const v = new Float32Array(EMBEDDING_DIM);
    fillGaussian(v, () => uniformFloat64(rng));
    return v;
  });
}

function storeOnly(): void {
  const store = new EngramDoubleStore({ capacity: MEMORIES, dedupThreshold: 0.95, exactScanBelow: 256 });
  let t = performance.now();
  store.seed('bench', MEMORIES, { seed: 7 });
  const seedMs = performance.now() - t;
  const vectors = randomVectors(WRITES, 99);
  const space = store.space('bench');
  t = performance.now();
  for (let i = 0; i < WRITES; i++) {
    space.remember({ id: `w${i}`, content: `write ${i}`, embedding: vectors[i]!, confidence: 0.7, timestampMs: Date.now() });
  }
  const writeMs = performance.now() - t;
  const mem = process.memoryUsage();
  console.log(`store only: seeded ${MEMORIES} in ${(seedMs / 1000).toFixed(1)} s (${Math.round(MEMORIES / (seedMs / 1000))}/s incl. RNG)`);
  console.log(
    `store only: ${WRITES} writes at ${space.count} memories: ${Math.round(WRITES / (writeMs / 1000))} writes/s ` +
      `(${((writeMs * 1000) / WRITES).toFixed(0)} us each); rss ${Math.round(mem.rss / 2 ** 20)} MiB`,
  );
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function overHttp(): Promise<void> {
  const double = await spawnEngramDouble({ capacity: MEMORIES });
  try {
    let t = performance.now();
    await double.seed('bench', MEMORIES, 7);
    console.log(`http: child seeded ${MEMORIES} memories in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const bodies = randomVectors(WRITES, 1234).map((v, i) =>
      JSON.stringify({ id: `h${i}`, content: `http write ${i}`, embedding: Array.from(v, (x) => Number(x.toPrecision(6))), confidence: 0.7 }),
    );
    const before = await double.stats();
    const pool = new Pool(double.url, { connections: CONNECTIONS, pipelining: 1 });
    const latencies: number[] = [];
    let next = 0;
    let failures = 0;
    const worker = async (): Promise<void> => {
      while (next < WRITES) {
        const body = bodies[next++]!;
        const s = performance.now();
        const res = await pool.request({
          path: '/api/v1/memories/remember',
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-memory-space': 'bench' },
        });
        await res.body.dump();
        if (res.statusCode !== 201) failures++;
        latencies.push(performance.now() - s);
      }
    };
    t = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    const ms = performance.now() - t;
    await pool.close();
    latencies.sort((a, b) => a - b);
    const stats = await double.stats();
    const cpuUs = ((stats.process.cpuMs - before.process.cpuMs) * 1000) / WRITES;
    console.log(
      `http: ${WRITES} writes at ${MEMORIES} memories, ${CONNECTIONS} connections: ${Math.round(WRITES / (ms / 1000))} writes/s, ` +
        `p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms, non-201 ${failures}`,
    );
    console.log(
      `http: double CPU ${cpuUs.toFixed(0)} us per write => ${Math.round(1e6 / cpuUs)} writes/s per core; ` +
        `double rss ${Math.round(stats.process.rssBytes / 2 ** 20)} MiB`,
    );
    console.log(`http: outcomes ${JSON.stringify(stats.writes)}`);
  } finally {
    await double.stop();
  }
}

storeOnly();
await overHttp();
