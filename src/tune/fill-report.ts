/**
 * From a measured fill curve to advice: the recommended shard size and connections, and projections of
 * whole runs (the counted or `--project-nodes` graph, and the article's 10,000,000 nodes) over shard sizes.
 */
import { halfRateFill, projectFill, rateAt, recommendShardSize, type FillProjection, type ShardSizeAdvice } from './fill-model.js';
import type { FillProbeResult } from './fill-probe.js';
import { formatDuration } from './projection.js';

/** The article's scenario. */
export const ARTICLE_NODES = 10_000_000;

/**
 * Default bound on spaces per server: each space maps ~5 GB of address space and touches ~3 GB of page
 * cache at creation (measured: server VmHWM 9 GB with one space, 12 GB with two), so the fill curve's
 * optimum (often thousands of small spaces) is out of reach of a real machine.
 */
export const DEFAULT_MAX_SPACES = 128;

export interface FillRunProjection extends FillProjection {
  /** `one space`, `plan minimum` (the shards capacity requires), `recommended`, or `shards of N`. */
  layout: string;
}

export interface FillReport extends FillProbeResult {
  /** Fill at which writes run at half the empty-space rate. */
  halfRateFill: number;
  /** The plan's largest shard: shardFill × capacityPerSpace. */
  maxShardSize: number;
  /** Spaces per server the recommended layouts stay within. */
  maxSpaces: number;
  shardSize: ShardSizeAdvice;
  /** Per projected node count: one space (when it fits), the plan's minimum shards, the recommended size. */
  projections: FillRunProjection[];
  /** The largest projected graph over a range of shard sizes (the curve's cost as shards grow). */
  bySize: FillRunProjection[];
}

const SIZES = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 80_000, 100_000];

function layouts(probe: FillProbeResult, nodes: number, maxShard: number, maxSpaces: number, advice: ShardSizeAdvice): FillRunProjection[] {
  const c = probe.spaceCostSeconds;
  const rows: FillRunProjection[] = [];
  if (nodes <= maxShard) rows.push({ layout: 'one space', ...projectFill(probe.model, nodes, 1, c) });
  else rows.push({ layout: 'plan minimum', ...projectFill(probe.model, nodes, Math.ceil(nodes / maxShard), c) });
  const size = Math.min(maxShard, Math.max(advice.shardSize, Math.ceil(nodes / maxSpaces)));
  const shards = Math.max(1, Math.ceil(nodes / size));
  const capped = size > advice.shardSize ? ` (capped at ${maxSpaces} spaces)` : '';
  if (shards !== rows[0]!.shards) rows.push({ layout: `recommended${capped}`, ...projectFill(probe.model, nodes, shards, c) });
  return rows;
}

export function fillReport(
  probe: FillProbeResult,
  options: { projectedNodes: number; capacityPerSpace: number; shardFill: number; maxSpaces?: number },
): FillReport {
  const maxShardSize = Math.max(1, Math.floor(options.capacityPerSpace * options.shardFill));
  const maxSpaces = options.maxSpaces ?? DEFAULT_MAX_SPACES;
  const shardSize = recommendShardSize(probe.model, probe.spaceCostSeconds, maxShardSize);
  const counts = [...new Set([options.projectedNodes, ARTICLE_NODES])];
  const projections = counts.flatMap((n) => layouts(probe, n, maxShardSize, maxSpaces, shardSize));
  const largest = Math.max(...counts);
  const bySize = SIZES.filter((s) => s <= maxShardSize && s < largest).map((s) => ({
    layout: `shards of ${s}`,
    ...projectFill(probe.model, largest, Math.ceil(largest / s), probe.spaceCostSeconds),
  }));
  return { ...probe, halfRateFill: halfRateFill(probe.model), maxShardSize, maxSpaces, shardSize, projections, bySize };
}

/** The report as lines: the curve, the fit, the advice, the projections. */
export function formatFillReport(r: FillReport): string[] {
  const m = r.model;
  const lines = [
    `fill curve of scratch space ${r.space} (${r.writes} memories, ${formatDuration(r.durationMs / 1000)}; first write ${r.firstWriteSeconds.toFixed(2)} s, a new space costs ≈ ${r.spaceCostSeconds.toFixed(2)} s)`,
    `connections: ${r.concurrency.map((c) => `${c.concurrency} → ${Math.round(c.writesPerSecond)}/s`).join(', ')}; best ${r.bestConcurrency}`,
    '  fill   writes/s   model',
    ...r.points.map((p) => `${String(p.fill).padStart(6)} ${p.writesPerSecond.toFixed(1).padStart(10)} ${rateAt(m, p.fill).toFixed(1).padStart(7)}`),
    `fit: 1/rate = ${(m.secondsPerWrite0 * 1000).toFixed(3)} ms + ${(m.secondsPerWritePerMemory * 1e6).toFixed(3)} µs × fill (r² ${m.r2.toFixed(3)}, worst point off by ${(m.maxRelError * 100).toFixed(1)}%); ` +
      `rate halves at ${Number.isFinite(r.halfRateFill) ? Math.round(r.halfRateFill) : '∞'} memories per space`,
    `fastest shard size ${r.shardSize.shardSize} (${r.shardSize.reason}); connections ${r.bestConcurrency}; at most ${r.maxSpaces} spaces per server (--max-spaces: ~3 GB of page cache each)`,
    ...r.projections.map(
      (p) =>
        `projection ${p.nodes} nodes, ${p.layout}: ${p.shards} space${p.shards === 1 ? '' : 's'} of ${p.perShard} → ${formatDuration(p.seconds)} (${p.writesPerSecond.toFixed(1)} writes/s)`,
    ),
    ...r.bySize.map(
      (p) => `  ${p.nodes} nodes in ${p.layout}: ${p.shards} spaces → ${formatDuration(p.seconds)}${p.shards > r.maxSpaces ? ' (over --max-spaces)' : ''}`,
    ),
  ];
  return lines;
}
