import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DlqStats } from './dlq/dlq-state.js';

export interface LiveMetricsOptions {
  /** Metric name prefix (default `engram_migrate_live_`). */
  prefix?: string;
  /** Labels on every series, e.g. `{service: 'recommender'}`. */
  defaultLabels?: Record<string, string>;
}

/** Latency buckets in seconds: 0.5 ms to 10 s. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics of the live migration in their own Registry (never the global one, so mounting them
 * beside a service's own metrics cannot clash). Pass one instance to every coordinator; mount
 * {@link LiveMetrics.handler} on any Node HTTP server.
 */
export class LiveMetrics {
  readonly registry = new Registry();
  /** Writes per store, kind (memory|edge) and result (ok|error|dlq|unsupported). */
  readonly writes: Counter<'store' | 'kind' | 'result'>;
  readonly writeSeconds: Histogram<'store'>;
  /** Dead-letter replays: ok|retry|parked|dropped (in doubt, the primary never had it). */
  readonly dlqReplays: Counter<'result'>;
  readonly dlqDepth: Gauge;
  readonly dlqParked: Gauge;
  /** Reads (activate) per store and role (served|shadow|fallback). */
  readonly readSeconds: Histogram<'store' | 'role'>;
  readonly readErrors: Counter<'store' | 'role'>;
  /** Rolling mean overlap@k and rank-biased overlap of shadow comparisons. */
  readonly shadowOverlap: Gauge;
  readonly shadowRbo: Gauge;
  /** Shadow comparisons by result: match|discrepancy|error|skipped. */
  readonly shadowComparisons: Counter<'result'>;
  /** Reads routed per store by the cutover router, and the errors that made it fall back. */
  readonly routed: Counter<'store'>;
  readonly routeErrors: Counter<'store'>;
  readonly fallbacks: Counter<'from'>;
  readonly cutoverPercent: Gauge;
  /** Error rate of the new store that the schedule runner watches. */
  readonly cutoverErrorRate: Gauge;
  /** Faults the library reported and survived, by component: `cutover-state` (unreadable state), `shadow-log` (log write failed). */
  readonly survivedErrors: Counter<'component'>;
  #dlqSource: (() => DlqStats) | null = null;

  constructor(options: LiveMetricsOptions = {}) {
    const p = options.prefix ?? 'engram_migrate_live_';
    if (options.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    const registers = [this.registry];
    const dlq = (): DlqStats | null => this.#dlqSource?.() ?? null;
    this.writes = new Counter({ name: `${p}writes_total`, help: 'Writes per store, kind and result', labelNames: ['store', 'kind', 'result'], registers });
    this.writeSeconds = new Histogram({
      name: `${p}write_seconds`,
      help: 'Write latency per store',
      labelNames: ['store'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.dlqReplays = new Counter({ name: `${p}dlq_replays_total`, help: 'Dead-letter replay attempts by result', labelNames: ['result'], registers });
    this.dlqDepth = new Gauge({
      name: `${p}dlq_depth`,
      help: 'Writes waiting in the dead-letter queue for the secondary (queued, in doubt, replaying)',
      registers,
      collect() {
        const s = dlq();
        if (s) this.set(s.depth);
      },
    });
    this.dlqParked = new Gauge({
      name: `${p}dlq_parked`,
      help: 'Poison writes parked in the dead-letter queue',
      registers,
      collect() {
        const s = dlq();
        if (s) this.set(s.parked);
      },
    });
    this.readSeconds = new Histogram({
      name: `${p}read_seconds`,
      help: 'activate() latency per store and role',
      labelNames: ['store', 'role'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.readErrors = new Counter({ name: `${p}read_errors_total`, help: 'activate() errors per store and role', labelNames: ['store', 'role'], registers });
    this.shadowOverlap = new Gauge({ name: `${p}shadow_overlap`, help: 'Rolling mean overlap@k of shadow reads (warn below 0.9, aim above 0.95)', registers });
    this.shadowRbo = new Gauge({ name: `${p}shadow_rbo`, help: 'Rolling mean rank-biased overlap of shadow reads', registers });
    this.shadowComparisons = new Counter({ name: `${p}shadow_comparisons_total`, help: 'Shadow comparisons by result', labelNames: ['result'], registers });
    this.routed = new Counter({ name: `${p}routed_total`, help: 'Reads routed per store by the cutover router', labelNames: ['store'], registers });
    this.routeErrors = new Counter({ name: `${p}route_errors_total`, help: 'Routed reads that failed on their store', labelNames: ['store'], registers });
    this.fallbacks = new Counter({
      name: `${p}route_fallbacks_total`,
      help: 'Routed reads served by the other store after an error',
      labelNames: ['from'],
      registers,
    });
    this.cutoverPercent = new Gauge({ name: `${p}cutover_percent`, help: 'Share of reads routed to the new store, in percent', registers });
    this.cutoverErrorRate = new Gauge({ name: `${p}cutover_error_rate`, help: 'Error rate of the new store over the watch window', registers });
    this.survivedErrors = new Counter({
      name: `${p}survived_errors_total`,
      help: 'Faults reported and survived (bad cutover state, discrepancy log write errors)',
      labelNames: ['component'],
      registers,
    });
  }

  /** Reports the queue's depth and parked count at every scrape. */
  watchDlq(stats: () => DlqStats): void {
    this.#dlqSource = stats;
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** A request handler for any `node:http` server (mount it on `/metrics`). */
  handler(): (req: IncomingMessage, res: ServerResponse) => void {
    return (_req, res) => {
      this.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': this.registry.contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
    };
  }
}
