/**
 * The dedup predictor's index at scale: N writes of 768-d vectors into one space (one per Engram space's
 * capacity by default: 100,000), as the backfill does them, through SpacePredictor (usearch HNSW, f32).
 * Data: clustered unit vectors (1,000 centres, typical cosine within a cluster ~0.5), with a share of
 * planted near-duplicates of an earlier vector at cosine 0.955..0.999.
 *
 * Prints: writes/s (search + insert per write), heap and RSS growth, recall of planted near-duplicates
 * (each must be predicted dropped), and false negatives found by exact brute force (usearch exactSearch)
 * on a sample of writes predicted "stored": a held vector at cosine >= 0.95 to another held one.
 *
 *   npm run build && node dist/bench/dedup-index.js [--n 100000] [--planted 0.05] [--sample 1000] [--json out.json]
 *     [--connectivity 16] [--expansion-add 64] [--expansion-search 64]
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { DEDUP_THRESHOLD, SpacePredictor } from '../src/dedup/dedup-predictor.js';

const D = 768;
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    planted: { type: 'string', default: '0.05' },
    sample: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '42' },
    connectivity: { type: 'string', default: '16' },
    'expansion-add': { type: 'string', default: '64' },
    'expansion-search': { type: 'string', default: '64' },
    json: { type: 'string' },
  },
});
const N = Number(values.n);
const PLANTED = Number(values.planted);
const SAMPLE = Number(values.sample);

const g = xoroshiro128plus(Number(values.seed));
const uniform = (): number => ((g.next() >>> 0) + 0.5) / 4294967296;
const gauss = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());

function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < D; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  for (let i = 0; i < D; i++) v[i]! /= n;
  return v;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const mb = (bytes: number): number => Math.round(bytes / 1048576);

// Data first (not timed): vectors[i] is write i.
const centres = Array.from({ length: 1000 }, () => normalize(Float32Array.from({ length: D }, gauss)));
const vectors = new Float32Array(N * D);
const plantedOf = new Int32Array(N).fill(-1);
for (let i = 0; i < N; i++) {
  const row = vectors.subarray(i * D, (i + 1) * D);
  if (i > 100 && uniform() < PLANTED) {
    let src = Math.floor(uniform() * i);
    while (plantedOf[src]! >= 0) src = Math.floor(uniform() * i);
    // v = c*u + sqrt(1-c^2)*w, w a random unit vector orthogonal to u: cosine exactly c.
    const u = vectors.subarray(src * D, (src + 1) * D);
    const c = 0.955 + uniform() * 0.044;
    const w = Float32Array.from({ length: D }, gauss);
    let dot = 0;
    for (let k = 0; k < D; k++) dot += w[k]! * u[k]!;
    for (let k = 0; k < D; k++) w[k]! -= dot * u[k]!;
    normalize(w);
    for (let k = 0; k < D; k++) row[k] = c * u[k]! + Math.sqrt(1 - c * c) * w[k]!;
    plantedOf[i] = src;
  } else {
    const centre = centres[Math.floor(uniform() * centres.length)]!;
    for (let k = 0; k < D; k++) row[k] = 0.7 * centre[k]! + gauss() * 0.7 * Math.sqrt(1 / D);
    normalize(row);
  }
}

const load0 = loadavg();
const rss0 = process.memoryUsage().rss;
const indexOptions = {
  connectivity: Number(values.connectivity),
  expansionAdd: Number(values['expansion-add']),
  expansionSearch: Number(values['expansion-search']),
};
const predictor = new SpacePredictor('bench', indexOptions);
const stored = new Uint8Array(N);
let planted = 0;
let plantedCaught = 0;
let dropped = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const checkpoints: Array<{ writes: number; seconds: number }> = [];
for (let i = 0; i < N; i++) {
  const out = predictor.write(`m${i}`, vectors.subarray(i * D, (i + 1) * D), 1);
  if (out.kind === 'stored') stored[i] = 1;
  else if (out.kind === 'dropped') dropped++;
  if (plantedOf[i]! >= 0 && stored[plantedOf[i]!]) {
    planted++;
    if (out.kind === 'dropped') plantedCaught++;
  }
  if ((i + 1) % Math.max(1, Math.floor(N / 10)) === 0) checkpoints.push({ writes: i + 1, seconds: (performance.now() - t0) / 1000 });
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const rss1 = process.memoryUsage().rss;

// Exact brute force over a sample of "stored" verdicts: another held vector at >= 0.95 is a miss.
type ExactSearch = (
  data: Float32Array,
  queries: Float32Array,
  dims: number,
  k: number,
  metric: string,
  threads?: number,
) => { keys: BigUint64Array; distances: Float32Array };
const { exactSearch } = createRequire(import.meta.url)('usearch') as { exactSearch: ExactSearch };
const heldIdx = [...stored.keys()].filter((i) => stored[i]);
const held = new Float32Array(heldIdx.length * D);
heldIdx.forEach((i, j) => held.set(vectors.subarray(i * D, (i + 1) * D), j * D));
const sampleIdx = Array.from({ length: Math.min(SAMPLE, heldIdx.length) }, () => Math.floor(uniform() * heldIdx.length));
const queries = new Float32Array(sampleIdx.length * D);
sampleIdx.forEach((j, q) => queries.set(held.subarray(j * D, (j + 1) * D), q * D));
const te = performance.now();
const exact = exactSearch(held, queries, D, 2, 'cos', 0);
const exactSeconds = (performance.now() - te) / 1000;
let falseNegatives = 0;
for (let q = 0; q < sampleIdx.length; q++) {
  for (let r = 0; r < 2; r++) {
    const j = Number(exact.keys[q * 2 + r]!);
    if (j !== sampleIdx[q] && 1 - exact.distances[q * 2 + r]! >= DEDUP_THRESHOLD) falseNegatives++;
  }
}

const result = {
  bench: 'dedup-index',
  index: `usearch HNSW f32, connectivity ${indexOptions.connectivity}, expansion add ${indexOptions.expansionAdd} / search ${indexOptions.expansionSearch}, 4 neighbours per write`,
  writes: N,
  held: predictor.size,
  predictedDropped: dropped,
  writesPerSecond: Math.round(N / seconds),
  seconds: Number(seconds.toFixed(1)),
  microsecondsPerWrite: Math.round((seconds * 1e6) / N),
  /** CPU time per write: less sensitive to a loaded machine than wall time. */
  cpuMicrosecondsPerWrite: Math.round((cpuSeconds * 1e6) / N),
  rssGrowthMB: mb(rss1 - rss0),
  bytesPerHeldMemory: Math.round((rss1 - rss0) / predictor.size),
  plantedNearDuplicates: planted,
  plantedRecall: planted === 0 ? null : Number((plantedCaught / planted).toFixed(5)),
  exactSample: sampleIdx.length,
  exactFalseNegatives: falseNegatives,
  exactSearchSeconds: Number(exactSeconds.toFixed(1)),
  progress: checkpoints.map((c) => ({ writes: c.writes, seconds: Number(c.seconds.toFixed(1)) })),
  loadAverage: { before: load0.map((x) => Number(x.toFixed(2))), after: loadavg().map((x) => Number(x.toFixed(2))) },
};
log(
  `dedup index: ${N} writes in ${result.seconds} s (${result.writesPerSecond} writes/s, ${result.microsecondsPerWrite} µs each, ${result.cpuMicrosecondsPerWrite} µs CPU), ` +
    `${result.held} held, RSS +${result.rssGrowthMB} MB (${result.bytesPerHeldMemory} B per held memory)`,
);
log(`  planted near-duplicates caught: ${plantedCaught} of ${planted} (recall ${result.plantedRecall})`);
log(`  exact brute force on ${sampleIdx.length} held memories: ${falseNegatives} with another held memory at cosine ≥ 0.95 (missed drops)`);
log(`  load average before ${result.loadAverage.before.join(' ')}, after ${result.loadAverage.after.join(' ')} (1/5/15 min)`);
process.stdout.write(`${JSON.stringify(result)}\n`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
