/** The fill-curve stage of `tune` against an Engram target: its scratch space, client and report. */
import type { ResolvedConfig } from '../config/config-schema.js';
import { ConfigError } from '../errors.js';
import { engramTls } from '../target/create-target.js';
import { EngramClient } from '../target/engram-client.js';
import { MIN_FILL_BUDGET, probeFill } from './fill-probe.js';
import { fillReport, type FillReport } from './fill-report.js';
import { scratchSpace } from './slice-config.js';
import type { TuneGridOptions } from './tune-grid.js';

/** Memories the fill curve writes by default: about half a minute on the real server into an empty space. */
export const DEFAULT_FILL_BUDGET = 5_000;

export interface FillRunOptions {
  grid: TuneGridOptions;
  prefix: string;
  projectedNodes: number;
  budget: number | undefined;
  /** Spaces per server the recommended layouts stay within (default 128). */
  maxSpaces?: number | undefined;
  fillOnly: boolean | undefined;
  signal: AbortSignal | undefined;
  log: (line: string) => void;
}

/**
 * Measures the fill curve when the target is Engram and the budget is not 0; null otherwise (bundle
 * target, dry run callers pass budget 0). The scratch space is `<prefix>-fill`; its memories remain
 * (Engram cannot delete them). A budget over one space's capacity is refused: eviction would bend the curve.
 */
export async function runFillCurve(config: ResolvedConfig, o: FillRunOptions): Promise<FillReport | null> {
  const t = config.target;
  const budget = o.budget ?? (t.kind === 'engram' ? DEFAULT_FILL_BUDGET : 0);
  if (t.kind !== 'engram') {
    if (o.fillOnly || (o.budget ?? 0) > 0) throw new ConfigError('tune.fillBudget', 'the fill curve measures an Engram server: use --target engram');
    return null;
  }
  if (budget === 0) {
    if (o.fillOnly) throw new ConfigError('tune.fillBudget', '--fill-only needs a fill budget above 0');
    return null;
  }
  if (!Number.isInteger(budget) || budget < MIN_FILL_BUDGET || budget > t.capacityPerSpace) {
    throw new ConfigError(
      'tune.fillBudget',
      `must be 0 (skip) or a whole number from ${MIN_FILL_BUDGET} to the space capacity ${t.capacityPerSpace}, got ${budget}`,
    );
  }
  const space = scratchSpace(o.prefix, 'fill');
  const concurrency = o.grid.concurrency.length > 0 ? o.grid.concurrency : [t.concurrency];
  const tls = engramTls(t);
  const client = new EngramClient({
    url: t.url,
    apiKey: t.apiKey,
    connections: Math.max(...concurrency),
    timeoutMs: t.timeoutMs,
    maxRetries: t.maxRetries,
    retryBaseMs: t.retryBaseMs,
    retryMaxMs: t.retryMaxMs,
    ...(tls ? { tls } : {}),
  });
  o.log(`fill: writing ${budget} synthetic memories into scratch space ${space} (connections ${concurrency.join(', ')})`);
  try {
    const probe = await probeFill({ client, space, budget, concurrency, ...(o.signal ? { signal: o.signal } : {}), onLog: o.log }).catch((err: unknown) => {
      if (o.signal?.aborted) return null; // interrupted half-way: not a measurement
      throw err;
    });
    if (probe === null) return null;
    return fillReport(probe, {
      projectedNodes: o.projectedNodes,
      capacityPerSpace: t.capacityPerSpace,
      shardFill: t.shardFill,
      ...(o.maxSpaces !== undefined ? { maxSpaces: o.maxSpaces } : {}),
    });
  } finally {
    await client.close();
  }
}
