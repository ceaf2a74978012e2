/**
 * Scaling benchmark (issue 6, `npm run bench:scale`, not part of the tests): backfill time and peak RSS of
 * the engine (bundle target, each run in its own process) on BenchDoc-style graphs of growing size, and
 * the growth exponents: the log-log slope of time against nodes (target ≈ 1: linear) and of peak RSS
 * (target ≈ 0: flat, the backfill streams), over all sizes and between the two largest (the smallest
 * graph fits in one batch, so its memory and time are mostly the fixed start-up). Each size is its own label (`BenchScale<n>`), loaded once and
 * reused; 1M documents with embeddings take long to load (about 2k nodes/s here), so sizes are a flag.
 *
 *   npm run build && node dist/bench/scaling.js [--sizes 10000,100000,1000000] [--port 7740]
 *     [--batch-size 10000] [--readers 0]
 * Prints a table and one JSON line; writes bench/results/scaling.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installNeo4j, isPortInUse, startNeo4j } from '../src/sample/neo4j-server.js';
import { benchDriver, ensureBenchGraph } from './bench-graph.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    port: { type: 'string', default: '7740' },
    'batch-size': { type: 'string', default: '10000' },
    readers: { type: 'string', default: '0' },
    out: { type: 'string', default: 'bench/results/scaling.json' },
  },
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Point {
  nodes: number;
  seconds: number;
  nodesPerSecond: number;
  peakRssMb: number;
  loadSeconds: number;
}

/** Least-squares slope of log(y) against log(x): the growth exponent. */
function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  const num = lx.reduce((s, x, i) => s + (x - mx) * (ly[i]! - my), 0);
  const den = lx.reduce((s, x) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function runEngine(uri: string, label: string): Omit<Point, 'loadSeconds'> {
  const options = { uri, label, target: 'bundle', batchSize: Number(values['batch-size']), model: './models/tiny', readers: Number(values.readers) };
  const out = execFileSync(process.execPath, ['--max-semi-space-size=64', 'dist/bench/backfill-variant.js', 'engine', JSON.stringify(options)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { nodes: number; seconds: number; nodesPerSecond: number; peakRssMb: number };
  return { nodes: r.nodes, seconds: r.seconds, nodesPerSecond: r.nodesPerSecond, peakRssMb: r.peakRssMb };
}

async function main(): Promise<void> {
  const sizes = values.sizes.split(',').map(Number);
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes: expected two or more whole numbers, got ${values.sizes}`);
  const port = Number(values.port);
  await installNeo4j({ log });
  const server = (await isPortInUse(port))
    ? null
    : await startNeo4j({ port, dataDir: resolve('.runs/neo4j-scale-bench'), auth: false, heap: '3g', pageCache: '3g' });
  const uri = `bolt://127.0.0.1:${port}`;
  const points: Point[] = [];
  try {
    for (const nodes of sizes) {
      const driver = benchDriver(uri);
      const label = `BenchScale${nodes}`;
      const loadSeconds = await ensureBenchGraph(driver, { label, nodes, missing: 0, seed: 11 }, log);
      await driver.close();
      log(`${label}: backfill ${nodes} nodes into a bundle`);
      const p = { ...runEngine(uri, label), loadSeconds };
      log(`  ${p.nodes} nodes in ${p.seconds} s = ${p.nodesPerSecond}/s, peak RSS ${p.peakRssMb} MB`);
      points.push(p);
    }
  } finally {
    await server?.stop();
  }
  const n = points.map((p) => p.nodes);
  const timeExponent = Number(
    logLogSlope(
      n,
      points.map((p) => p.seconds),
    ).toFixed(3),
  );
  const memoryExponent = Number(
    logLogSlope(
      n,
      points.map((p) => p.peakRssMb),
    ).toFixed(3),
  );
  const lastTwo = points.slice(-2);
  const timeExponentLargest = Number(
    logLogSlope(
      lastTwo.map((p) => p.nodes),
      lastTwo.map((p) => p.seconds),
    ).toFixed(3),
  );
  const memoryExponentLargest = Number(
    logLogSlope(
      lastTwo.map((p) => p.nodes),
      lastTwo.map((p) => p.peakRssMb),
    ).toFixed(3),
  );
  console.log('nodes      seconds  nodes/s  peak RSS MB');
  for (const p of points)
    console.log(`${String(p.nodes).padEnd(9)}  ${String(p.seconds).padStart(7)}  ${String(p.nodesPerSecond).padStart(7)}  ${String(p.peakRssMb).padStart(11)}`);
  console.log(
    `time exponent ${timeExponent} (two largest sizes: ${timeExponentLargest}; target ≈ 1), memory exponent ${memoryExponent} (two largest sizes: ${memoryExponentLargest}; target ≈ 0)`,
  );
  const result = {
    bench: 'scaling',
    at: new Date().toISOString(),
    batchSize: Number(values['batch-size']),
    points,
    timeExponent,
    timeExponentLargest,
    memoryExponent,
    memoryExponentLargest,
  };
  mkdirSync(resolve(values.out, '..'), { recursive: true });
  writeFileSync(values.out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
}

await main();
