import type { ActivationQuery, GraphDatabase } from '../graph-database.js';
import { LatencyHistogram, type LatencySummary } from '../shadow/latency-histogram.js';
import { overlapAtK } from '../shadow/ranking-similarity.js';

/** What the probe measured on one store. */
export interface StoreProbe {
  latencyMs: LatencySummary;
  /** Completed activations per second with `concurrency` callers. */
  throughput: number;
  requests: number;
  errors: number;
  errorRate: number;
  firstError: string | null;
}

export interface ActivationProbeResult {
  old: StoreProbe;
  new: StoreProbe;
  /** overlap@k of the two stores' answers to the same queries (queries both answered). */
  overlap: { mean: number | null; min: number | null; compared: number };
  k: number;
  throughputMs: number;
  concurrency: number;
}

export interface ActivationProbeOptions {
  /** The store being left and the one being cut over to; `store(query)` may pick an adapter per query. */
  oldStore: (query: ActivationQuery) => Pick<GraphDatabase, 'activate'>;
  newStore: (query: ActivationQuery) => Pick<GraphDatabase, 'activate'>;
  queries: ActivationQuery[];
  /** Sequential queries per store for latency and overlap (default 200). */
  latencyQueries?: number;
  /** Time of the throughput phase per store (default 5 s). */
  throughputMs?: number;
  /** Callers in the throughput phase (default 8). */
  concurrency?: number;
}

class Tally {
  readonly latency = new LatencyHistogram();
  requests = 0;
  errors = 0;
  firstError: string | null = null;

  async time<T>(work: () => Promise<T>): Promise<T | null> {
    const t0 = performance.now();
    this.requests++;
    try {
      const result = await work();
      this.latency.record(performance.now() - t0);
      return result;
    } catch (err) {
      this.errors++;
      this.firstError ??= err instanceof Error ? err.message : String(err);
      return null;
    }
  }
}

async function throughput(
  store: (q: ActivationQuery) => Pick<GraphDatabase, 'activate'>,
  queries: ActivationQuery[],
  ms: number,
  concurrency: number,
  tally: Tally,
): Promise<number> {
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const q = queries[next++ % queries.length]!;
        if ((await tally.time(() => store(q).activate(q))) !== null) done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/**
 * The checklist's performance probe: the same activate() queries against both stores, first one at a
 * time and interleaved (latency percentiles, answer overlap), then `concurrency` callers for a fixed time
 * per store (throughput). Errors are counted on both sides.
 */
export async function probeActivation(options: ActivationProbeOptions): Promise<ActivationProbeResult> {
  const { queries } = options;
  if (queries.length === 0) throw new Error('probeActivation needs at least one query');
  const oldTally = new Tally();
  const newTally = new Tally();
  const overlaps: number[] = [];
  const n = options.latencyQueries ?? 200;
  for (let i = 0; i < n; i++) {
    const q = queries[i % queries.length]!;
    // alternate which store goes first, so neither always gets the warm cache or the quiet moment
    const order = i % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const);
    const answers: Record<'old' | 'new', string[] | null> = { old: null, new: null };
    for (const side of order) {
      const tally = side === 'old' ? oldTally : newTally;
      const store = side === 'old' ? options.oldStore(q) : options.newStore(q);
      const result = await tally.time(() => store.activate(q));
      answers[side] = result === null ? null : result.hits.map((h) => h.id);
    }
    if (answers.old !== null && answers.new !== null) overlaps.push(overlapAtK(answers.old, answers.new, q.k));
  }
  const latencyOld = oldTally.latency.summary();
  const latencyNew = newTally.latency.summary();
  const ms = options.throughputMs ?? 5_000;
  const concurrency = options.concurrency ?? 8;
  const tpOld = await throughput(options.oldStore, queries, ms, concurrency, oldTally);
  const tpNew = await throughput(options.newStore, queries, ms, concurrency, newTally);
  const side = (t: Tally, latencyMs: LatencySummary, tp: number): StoreProbe => ({
    latencyMs,
    throughput: Math.round(tp * 10) / 10,
    requests: t.requests,
    errors: t.errors,
    errorRate: t.requests === 0 ? 0 : t.errors / t.requests,
    firstError: t.firstError,
  });
  return {
    old: side(oldTally, latencyOld, tpOld),
    new: side(newTally, latencyNew, tpNew),
    overlap: {
      mean: overlaps.length === 0 ? null : overlaps.reduce((a, b) => a + b, 0) / overlaps.length,
      min: overlaps.length === 0 ? null : Math.min(...overlaps),
      compared: overlaps.length,
    },
    k: queries[0]!.k,
    throughputMs: ms,
    concurrency,
  };
}
