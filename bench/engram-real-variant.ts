/**
 * One measured variant of bench/engram-real.ts, in its own process so its peak RSS is its own:
 *   node dist/bench/engram-real-variant.js <bundle|probe|ceiling|ceiling-again|ceiling-shared|backfill|backfill-readers|backfill-plain|backfill-nodedup|backfill-nostamp|load> '<json options>'
 * (ceiling-again is the ceiling's writer under another name: an A/A check.)
 * Prints one JSON line ({@link VariantOutcome}). `events` are (ms since the variant started, writes acknowledged).
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
import type { ResolvedConfig } from '../src/config/config-schema.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import { backfill } from '../src/engine/backfill.js';
import { encodeBundleLines, shardLayoutsOf } from '../src/engine/bundle-batch.js';
import { loadBundle } from '../src/engine/load-bundle.js';
import { installBoltFloatLists } from '../src/source/bolt-float-lists.js';
import { readLineChunks, readManifest } from '../src/target/bundle-reader.js';
import type { DoneEvent } from '../src/tune/fill-model.js';

export interface VariantOptions {
  uri: string;
  label: string;
  space: string;
  shards: number;
  batchSize: number;
  concurrency: number;
  bundle: string;
  engramUrl?: string;
  /** probe: connection counts to compare and writes per count. */
  candidates?: number[];
  probeWrites?: number;
  /** ceiling-shared: share of one core a busy thread takes beside the writer. */
  sharedCpu?: number;
}

export interface VariantOutcome {
  variant: string;
  writes: number;
  failed: number;
  seconds: number;
  events: DoneEvent[];
  peakRssMb: number;
  /** CPU seconds of the whole process (every thread: pool workers, the dedup predictor, readers). */
  cpuSeconds: number;
  /** probe only: writes/s per connection count. */
  rates?: Array<{ concurrency: number; writesPerSecond: number }>;
  error: string | null;
}

// As the CLI does (src/cli/main.ts): this process is the tool's own, so its main thread decodes embeddings
// the faster way too.
installBoltFloatLists();

const [variant, json] = process.argv.slice(2) as [string, string];
const o = JSON.parse(json) as VariantOptions;

// backfill-nodedup / backfill-nostamp: one of the two off, to tell their costs apart.
const noDedup = variant === 'backfill-plain' || variant === 'backfill-nodedup';
const noStamp = variant === 'backfill-plain' || variant === 'backfill-nostamp';

function config(): ResolvedConfig {
  return resolveConfig({
    // backfill-readers: a reader thread per core (into Engram the default is the main thread alone).
    source: { uri: o.uri, labels: [o.label], ...(variant === 'backfill-readers' ? { readers: availableParallelism() } : {}) },
    // backfill-plain: the backfill without what it adds to each batch by default against Engram (the
    // near-duplicate predictor and the live stamp re-read), to show what they cost beside the server.
    target: o.engramUrl
      ? { kind: 'engram', url: o.engramUrl, concurrency: o.concurrency, ...(noDedup ? { onDedup: 'off' as const } : {}) }
      : { kind: 'bundle', path: o.bundle },
    mapping: { keys: { [o.label]: 'id' }, spaces: { [o.label]: o.space }, ...(o.shards > 1 ? { shards: { [o.label]: o.shards } } : {}) },
    engine: { batchSize: o.batchSize, pauseMs: 0, edges: false, ...(noStamp ? { liveStampProperty: null } : {}) },
    model: { path: './models/tiny' },
    runDir: mkdtempSync(join(tmpdir(), 'engram-real-run-')),
  });
}

/** Every memory of the bundle as the tool sends it (same bytes), shards interleaved as a backfill spreads them. */
async function bundleRequests(): Promise<Array<{ space: string; body: Uint8Array }>> {
  const manifest = await readManifest(o.bundle);
  const layouts = shardLayoutsOf(manifest.info);
  const perSpace: Array<Array<{ space: string; body: Uint8Array }>> = [];
  for (const [space, info] of Object.entries(manifest.spaces)) {
    const list: Array<{ space: string; body: Uint8Array }> = [];
    for await (const chunk of readLineChunks(join(o.bundle, info.file), 0, 10_000)) {
      const batch = encodeBundleLines(chunk.lines, info.file, space, layouts.get(space));
      for (let i = 0; i < batch.ids.length; i++) list.push({ space: batch.spaces[i]!, body: batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1]) });
    }
    perSpace.push(list);
  }
  const out: Array<{ space: string; body: Uint8Array }> = [];
  for (let i = 0; out.length < perSpace.reduce((s, l) => s + l.length, 0); i++) for (const l of perSpace) if (l[i]) out.push(l[i]!);
  return out;
}

/** The minimal writer: pre-serialised bodies, one undici pool, `concurrency` loops, no retries. */
async function post(pool: Pool, requests: ReadonlyArray<{ space: string; body: Uint8Array }>, concurrency: number, t0: number, events?: DoneEvent[]) {
  let next = 0;
  let done = 0;
  let failed = 0;
  const loop = async (): Promise<void> => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const res = await pool.request({
        method: 'POST',
        path: '/api/v1/memories/remember',
        headers: { 'content-type': 'application/json', 'x-memory-space': r.space },
        body: r.body,
      });
      await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) done++;
      else failed++;
      events?.push({ atMs: performance.now() - t0, done });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { done, failed };
}

async function run(): Promise<Omit<VariantOutcome, 'variant' | 'peakRssMb' | 'cpuSeconds'>> {
  const t0 = performance.now();
  const events: DoneEvent[] = [];
  const elapsed = (): number => (performance.now() - t0) / 1000;
  if (variant === 'bundle' || variant.startsWith('backfill')) {
    const s = await backfill({
      config: config(),
      overwrite: true,
      onProgress: (e) => void (e.phase === 'nodes' && events.push({ atMs: performance.now() - t0, done: e.counters.memoriesWritten })),
    });
    return {
      writes: s.counters.memoriesWritten,
      failed: s.counters.nodesRead - s.counters.memoriesWritten,
      seconds: elapsed(),
      events,
      error: s.error?.message ?? null,
    };
  }
  if (variant === 'load') {
    const s = await loadBundle({ bundleDir: o.bundle, config: config(), onProgress: (done) => events.push({ atMs: performance.now() - t0, done }) });
    return { writes: s.loaded, failed: s.rejected, seconds: elapsed(), events, error: s.error?.message ?? null };
  }
  const requests = await bundleRequests();
  // ceiling-shared: the same writer while a thread of this process keeps `sharedCpu` of a core busy (in
  // 100 ms windows), as the backfill's own work does: how much the server loses to sharing its cores.
  const hog =
    variant === 'ceiling-shared'
      ? new Worker(
          `const duty = ${o.sharedCpu ?? 0.3}; setInterval(() => { const end = performance.now() + 100 * duty; while (performance.now() < end); }, 100);`,
          { eval: true },
        )
      : null;
  const connections = Math.max(o.concurrency, ...(o.candidates ?? []));
  const pool = new Pool(o.engramUrl!, { connections, keepAliveTimeout: 30_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
  try {
    if (variant === 'probe') {
      // Side by side in rounds, so the space's growth during the probe weighs on every count alike.
      const per = Math.max(1, Math.floor((o.probeWrites ?? 300) / 3));
      const ms = new Map<number, number>();
      let at = 0;
      let failed = 0;
      for (let round = 0; round < 3; round++)
        for (const c of o.candidates ?? [o.concurrency]) {
          const start = performance.now();
          failed += (await post(pool, requests.slice(at, at + per), c, start)).failed;
          ms.set(c, (ms.get(c) ?? 0) + performance.now() - start);
          at += per;
        }
      const rates = [...ms].map(([concurrency, t]) => ({ concurrency, writesPerSecond: (3 * per) / (t / 1000) }));
      return { writes: at - failed, failed, seconds: elapsed(), events, rates, error: null };
    }
    const tStart = performance.now();
    const { done, failed } = await post(pool, requests, o.concurrency, tStart, events);
    return { writes: done, failed, seconds: (performance.now() - tStart) / 1000, events, error: failed > 0 ? `${failed} writes failed` : null };
  } finally {
    await hog?.terminate();
    await pool.close();
  }
}

const result = await run().catch((err: unknown) => ({ writes: 0, failed: 0, seconds: 0, events: [], error: (err as Error).message }));
const usage = process.resourceUsage();
const outcome: VariantOutcome = {
  variant,
  ...result,
  peakRssMb: Math.round(usage.maxRSS / 1024),
  cpuSeconds: Number(((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(2)),
};
// Exit only once the line is flushed: process.exit() right after a write to a pipe cuts it at 64 KB (a
// 10,000-write run's events are ~400 KB, and the parent could not parse them).
process.stdout.write(`${JSON.stringify(outcome)}\n`, () => process.exit(0));
