import { errorMessage } from '../../errors.js';
import type {
  ActivationHit,
  ActivationQuery,
  ActivationResult,
  EdgeWriteResult,
  GraphDatabase,
  LiveEdge,
  LiveMemory,
  StoreCapabilities,
  StoredLiveMemory,
} from '../graph-database.js';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
import type { LiveMetrics } from '../live-metrics.js';
import { NdjsonLog } from './ndjson-log.js';
import { overlapAtK, rankBiasedOverlap } from './ranking-similarity.js';
import { RollingSimilarity, type RollingSimilarityOptions, type SimilarityStatus } from './rolling-similarity.js';

export interface ShadowReadOptions extends RollingSimilarityOptions {
  /** Serves every read and takes every write (e.g. a DualWriteCoordinator). */
  primary: GraphDatabase;
  /** Read in the background on sampled reads and compared; never served. */
  secondary: GraphDatabase;
  /** Share of reads compared, 0..1 (default 0.1). */
  sampleRate?: number;
  /** Shadow reads in flight at most; sampled reads beyond it are skipped (default 16). */
  maxInFlight?: number;
  /** Longest time a shadow read may take (default 5 s). */
  timeoutMs?: number;
  /** A read whose overlap@k is below this is a discrepancy (logged); default `warnBelow` (0.9). */
  discrepancyBelow?: number;
  /** NDJSON file discrepancies and shadow errors are appended to, with the query; null: none. */
  discrepancyLog?: string | null;
  /**
   * Told when the discrepancy log cannot be opened or written (EACCES, ENOSPC): reads go on, lines are
   * dropped and counted (`logDropped`), the file is tried again after 30 s. Default: a warning on stderr.
   */
  onLogError?: (err: NodeJS.ErrnoException) => void;
  /** RBO persistence (default 0.9). */
  rboPersistence?: number;
  metrics?: LiveMetrics | null;
  /** Called when the rolling status changes (e.g. falls to `warn`). */
  onStatus?: (status: SimilarityStatus, report: ShadowReport) => void;
  random?: () => number;
}

/** Everything the shadow reads measured so far. */
export interface ShadowReport {
  reads: number;
  comparisons: number;
  discrepancies: number;
  errors: number;
  skipped: number;
  /** Discrepancy-log lines lost to write errors, and the errors. */
  logDropped: number;
  logErrors: number;
  rolling: { overlap: number | null; rbo: number | null; window: number; status: SimilarityStatus; warnBelow: number; aimAbove: number };
  latencyMs: { primary: LatencySummary; secondary: LatencySummary };
}

function embeddingBase64(values: Float32Array | number[]): string {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
}

/**
 * The article's shadow-read coordinator: always serves the primary's activation; on a sample of reads it
 * also asks the secondary in the background and compares the two id lists (overlap@k and rank-biased
 * overlap), keeps HDR latency histograms of both sides, logs discrepancies with their query, and holds a
 * rolling similarity against the article's thresholds (warn below 0.9, aim above 0.95).
 */
export class ShadowReadCoordinator implements GraphDatabase {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  readonly rolling: RollingSimilarity;
  readonly #o: ShadowReadOptions;
  readonly #primaryLatency = new LatencyHistogram();
  readonly #secondaryLatency = new LatencyHistogram();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #log: NdjsonLog | null;
  #counts = { reads: 0, comparisons: 0, discrepancies: 0, errors: 0, skipped: 0 };
  #status: SimilarityStatus = 'no-data';

  constructor(options: ShadowReadOptions) {
    this.#o = options;
    this.name = `shadow(${options.primary.name}|${options.secondary.name})`;
    this.capabilities = options.primary.capabilities;
    this.rolling = new RollingSimilarity(options);
    const onError = (err: NodeJS.ErrnoException): void => {
      options.metrics?.survivedErrors.inc({ component: 'shadow-log' });
      if (options.onLogError) options.onLogError(err);
      else process.emitWarning(`shadow discrepancy log ${options.discrepancyLog}: ${err.message}; reads go on, lines are dropped`, 'ShadowLogWarning');
    };
    this.#log = options.discrepancyLog ? new NdjsonLog(options.discrepancyLog, { onError }) : null;
  }

  async activate(query: ActivationQuery, signal?: AbortSignal): Promise<ActivationResult> {
    const t0 = performance.now();
    const result = await this.#o.primary.activate(query, signal);
    const primaryMs = performance.now() - t0;
    this.#primaryLatency.record(primaryMs);
    this.#o.metrics?.readSeconds.observe({ store: this.#o.primary.name, role: 'served' }, primaryMs / 1000);
    this.#counts.reads++;
    if ((this.#o.random ?? Math.random)() < (this.#o.sampleRate ?? 0.1)) this.#startShadow(query, result, primaryMs);
    return result;
  }

  #startShadow(query: ActivationQuery, primary: ActivationResult, primaryMs: number): void {
    if (this.#inFlight.size >= (this.#o.maxInFlight ?? 16)) {
      this.#counts.skipped++;
      this.#o.metrics?.shadowComparisons.inc({ result: 'skipped' });
      return;
    }
    const task = this.#shadow(query, primary, primaryMs).finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  async #shadow(query: ActivationQuery, primary: ActivationResult, primaryMs: number): Promise<void> {
    const { secondary, metrics } = this.#o;
    const t0 = performance.now();
    let result: ActivationResult;
    try {
      result = await secondary.activate(query, AbortSignal.timeout(this.#o.timeoutMs ?? 5_000));
    } catch (err) {
      this.#counts.errors++;
      metrics?.readErrors.inc({ store: secondary.name, role: 'shadow' });
      metrics?.shadowComparisons.inc({ result: 'error' });
      this.#write({ kind: 'error', error: errorMessage(err), ...this.#queryFields(query), primary: primary.hits, primaryMs });
      return;
    }
    const secondaryMs = performance.now() - t0;
    this.#secondaryLatency.record(secondaryMs);
    metrics?.readSeconds.observe({ store: secondary.name, role: 'shadow' }, secondaryMs / 1000);
    this.#compare(query, primary.hits, result.hits, primaryMs, secondaryMs);
  }

  #compare(query: ActivationQuery, p: ActivationHit[], s: ActivationHit[], primaryMs: number, secondaryMs: number): void {
    const pIds = p.map((h) => h.id);
    const sIds = s.map((h) => h.id);
    const overlap = overlapAtK(pIds, sIds, query.k);
    const rbo = rankBiasedOverlap(pIds.slice(0, query.k), sIds.slice(0, query.k), this.#o.rboPersistence ?? 0.9);
    this.rolling.add(overlap, rbo);
    this.#counts.comparisons++;
    const metrics = this.#o.metrics;
    metrics?.shadowOverlap.set(this.rolling.overlap ?? 0);
    metrics?.shadowRbo.set(this.rolling.rbo ?? 0);
    const discrepant = overlap < (this.#o.discrepancyBelow ?? this.rolling.warnBelow);
    metrics?.shadowComparisons.inc({ result: discrepant ? 'discrepancy' : 'match' });
    if (discrepant) {
      this.#counts.discrepancies++;
      const sSet = new Set(sIds);
      const pSet = new Set(pIds);
      this.#write({
        kind: 'discrepancy',
        overlap,
        rbo,
        ...this.#queryFields(query),
        onlyPrimary: pIds.filter((id) => !sSet.has(id)),
        onlySecondary: sIds.filter((id) => !pSet.has(id)),
        primary: p,
        secondary: s,
        primaryMs,
        secondaryMs,
      });
    }
    const status = this.rolling.status;
    if (status !== this.#status) {
      this.#status = status;
      this.#o.onStatus?.(status, this.report());
    }
  }

  #queryFields(query: ActivationQuery): Record<string, unknown> {
    return { at: new Date().toISOString(), space: query.space, k: query.k, embedding_f32: embeddingBase64(query.embedding) };
  }

  #write(line: Record<string, unknown>): void {
    this.#log?.write(line);
  }

  report(): ShadowReport {
    const r = this.rolling;
    return {
      ...this.#counts,
      logDropped: this.#log?.counts.dropped ?? 0,
      logErrors: this.#log?.counts.errors ?? 0,
      rolling: { overlap: r.overlap, rbo: r.rbo, window: r.size, status: r.status, warnBelow: r.warnBelow, aimAbove: r.aimAbove },
      latencyMs: { primary: this.#primaryLatency.summary(), secondary: this.#secondaryLatency.summary() },
    };
  }

  /** Waits for the shadow reads in flight. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  createMemory(memory: LiveMemory, signal?: AbortSignal): Promise<void> {
    return this.#o.primary.createMemory(memory, signal);
  }

  createEdge(edge: LiveEdge, signal?: AbortSignal): Promise<EdgeWriteResult> {
    return this.#o.primary.createEdge(edge, signal);
  }

  getMemory(space: string, id: string, signal?: AbortSignal): Promise<StoredLiveMemory | null> {
    return this.#o.primary.getMemory(space, id, signal);
  }

  /** Settles the shadow reads and closes the discrepancy log; the stores stay open (they are the caller's). */
  async close(): Promise<void> {
    await this.settle();
    await this.#log?.close();
  }
}
