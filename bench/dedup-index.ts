/**
 * The dedup predictor's index at scale: N writes of 768-d vectors into one space (one per Engram space's
 * capacity by default: 100,000), in batches as the backfill sends them, through DedupPredictor.writeBatch (exact:
 * GEMM + TopK on onnxruntime-node).
 * Data: clustered unit vectors (1,000 centres, typical cosine within a cluster ~0.5), with a share of
 * planted near-duplicates of an earlier vector at cosine 0.955..0.999.
 *
 * Prints: writes/s, CPU per write, RSS growth, recall of planted near-duplicates (each must be predicted
 * dropped), how many of the first --check outcomes differ from SpacePredictor.write's plain scan (must be 0),
 * and false negatives found by brute force in plain JS on a sample of held memories (must be 0).
 *
 *   npm run build && node dist/bench/dedup-index.js [--n 100000] [--planted 0.05] [--batch 250] [--check 5000]
 *     [--sample 100] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { DEDUP_THRESHOLD, DedupPredictor, type PredictedOutcome, SpacePredictor } from '../src/dedup/dedup-predictor.js';

const D = 768;
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    planted: { type: 'string', default: '0.05' },
    sample: { type: 'string', default: '100' },
    batch: { type: 'string', default: '250' },
    check: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '42' },
    json: { type: 'string' },
  },
});
const N = Number(values.n);
const PLANTED = Number(values.planted);
const SAMPLE = Number(values.sample);
const BATCH = Number(values.batch);
const CHECK = Number(values.check);

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
const predictor = new DedupPredictor();
const space = predictor.space('bench');
const stored = new Uint8Array(N);
const outcomes: PredictedOutcome[] = [];
let planted = 0;
let plantedCaught = 0;
let dropped = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const checkpoints: Array<{ writes: number; seconds: number }> = [];
for (let start = 0; start < N; start += BATCH) {
  const end = Math.min(N, start + BATCH);
  const ids = Array.from({ length: end - start }, (_, j) => `m${start + j}`);
  const found = await predictor.writeBatch({
    ids,
    spaces: ids.map(() => 'bench'),
    rows: Uint32Array.from(ids, (_, j) => j),
    embeddings: vectors.subarray(start * D, end * D),
    confidence: 1,
  });
  found.forEach((out, j) => {
    const i = start + j;
    outcomes.push(out);
    if (out.kind === 'stored') stored[i] = 1;
    else if (out.kind === 'dropped') dropped++;
    if (plantedOf[i]! >= 0 && stored[plantedOf[i]!]) {
      planted++;
      if (out.kind === 'dropped') plantedCaught++;
    }
  });
  if (Math.floor(end / Math.max(1, Math.floor(N / 10))) > Math.floor(start / Math.max(1, Math.floor(N / 10))))
    checkpoints.push({ writes: end, seconds: (performance.now() - t0) / 1000 });
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const rss1 = process.memoryUsage().rss;

// 1. The batched outcomes equal the plain scan's, write by write, over the first CHECK writes.
const plain = new SpacePredictor('plain');
let differ = 0;
for (let i = 0; i < Math.min(CHECK, N); i++) {
  const a = plain.write(`m${i}`, vectors.subarray(i * D, (i + 1) * D), 1);
  const b = outcomes[i]!;
  if (a.kind !== b.kind || (a.kind === 'dropped' && b.kind === 'dropped' && a.survivor !== b.survivor)) differ++;
}

// 2. Exact brute force over a sample of held memories: another held vector at >= 0.95 is a missed drop.
const heldIdx = [...stored.keys()].filter((i) => stored[i]);
const unit = (i: number): Float32Array => {
  const v = vectors.subarray(i * D, (i + 1) * D);
  let s = 0;
  for (let k = 0; k < D; k++) s += v[k]! * v[k]!;
  return v.map((x) => x / Math.sqrt(s));
};
const te = performance.now();
let falseNegatives = 0;
const sampleIdx = Array.from({ length: Math.min(SAMPLE, heldIdx.length) }, () => heldIdx[Math.floor(uniform() * heldIdx.length)]!);
const heldUnits = heldIdx.map(unit);
for (const q of sampleIdx) {
  const u = unit(q);
  for (let h = 0; h < heldIdx.length; h++) {
    if (heldIdx[h] === q) continue;
    const v = heldUnits[h]!;
    let c = 0;
    for (let k = 0; k < D; k++) c += u[k]! * v[k]!;
    if (c >= DEDUP_THRESHOLD) falseNegatives++;
  }
}
const exactSeconds = (performance.now() - te) / 1000;
await predictor.close();

const result = {
  bench: 'dedup-index',
  index: `exact: unit rows, batches of ${BATCH} scored by one GEMM + TopK per block (onnxruntime-node, 1 thread)`,
  writes: N,
  batch: BATCH,
  held: space.size,
  predictedDropped: dropped,
  writesPerSecond: Math.round(N / seconds),
  seconds: Number(seconds.toFixed(1)),
  microsecondsPerWrite: Math.round((seconds * 1e6) / N),
  /** CPU time per write: less sensitive to a loaded machine than wall time. */
  cpuMicrosecondsPerWrite: Math.round((cpuSeconds * 1e6) / N),
  rssGrowthMB: mb(rss1 - rss0),
  bytesPerHeldMemory: Math.round((rss1 - rss0) / space.size),
  plantedNearDuplicates: planted,
  plantedRecall: planted === 0 ? null : Number((plantedCaught / planted).toFixed(5)),
  checkedAgainstPlainScan: Math.min(CHECK, N),
  differFromPlainScan: differ,
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
log(`  batched outcomes vs the plain scan one write at a time, first ${result.checkedAgainstPlainScan} writes: ${differ} differ`);
log(`  exact brute force on ${sampleIdx.length} held memories: ${falseNegatives} with another held memory at cosine ≥ 0.95 (missed drops)`);
log(`  load average before ${result.loadAverage.before.join(' ')}, after ${result.loadAverage.after.join(' ')} (1/5/15 min)`);
process.stdout.write(`${JSON.stringify(result)}\n`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
