import { sleep } from '../shared/abort.js';
import type { EdgeTask, EdgeTaskResult } from '../../workers/task-types.js';
import type { RangeProgress } from './checkpoint-store.js';
import { pipelined } from './pipeline.js';
import { emitProgress, saveCheckpoint, type RunContext } from './run-context.js';

interface PendingEdges {
  lastCovered: number;
  count: number;
  result: Promise<EdgeTaskResult> | null;
}

/** Pages seek at most this many times the page size of relationship ids. */
const MAX_SPAN_FACTOR = 64;

async function edgeRange(ctx: RunContext): Promise<RangeProgress> {
  if (ctx.checkpoint.edges) return ctx.checkpoint.edges;
  const bounds = ctx.plan.totalRelationships === 0 ? null : await ctx.source.relationshipIdBounds();
  const size = ctx.config.engine.edgeBatchSize;
  ctx.checkpoint.edges = bounds ? { after: bounds.lo - 1, upper: bounds.hi, span: size, done: false } : { after: 0, upper: 0, span: size, done: true };
  await saveCheckpoint(ctx);
  return ctx.checkpoint.edges;
}

/**
 * The relationship phase: one pass over relationship ids (a seek per page, so a supernode's millions of
 * relationships spread over many pages and memory stays bounded), keeping those whose source node
 * migrates under a label of the run. Each goes through the pool's edge mapping (article weights, every
 * property kept) into the target's edge file or, where the target cannot hold edges (Engram), the run's
 * edge sidecar, or to the reject log: an end that was rejected (its node's reject travels with it), or
 * that is outside the run. Checkpointed per page like nodes.
 */
export async function migrateEdges(ctx: RunContext): Promise<void> {
  const range = await edgeRange(ctx);
  if (range.done) return;
  const order = ctx.plan.labels.map((l) => l.label);
  const spaces = Object.fromEntries(ctx.plan.labels.map((l) => [l.label, { space: l.space, shards: l.shards }]));
  const keys = Object.fromEntries(ctx.plan.labels.map((l) => [l.label, l.key]));
  const limit = ctx.config.engine.edgeBatchSize;
  const rejected = ctx.rejects.rejectedNodes;
  await pipelined(
    ctx.config.engine.maxInflightBatches,
    ctx.signal,
    async function* (stopped) {
      let { after, span } = range;
      while (!stopped() && after < range.upper) {
        const hi = Math.min(range.upper, after + span);
        const page = await ctx.source.relationshipPage(after + 1, hi, limit, ctx.plan.keyProperties, order);
        const cut = page.lastCovered < hi;
        span = cut ? Math.max(limit, Math.floor(span / 2)) : page.relationships.length < limit / 4 ? Math.min(limit * MAX_SPAN_FACTOR, span * 2) : span;
        after = page.lastCovered;
        for (const rel of page.relationships) {
          const source = rejected.get(rel.source.elementId);
          const target = rejected.get(rel.target.elementId);
          if (source !== undefined) rel.source.rejected = source;
          if (target !== undefined) rel.target.rejected = target;
        }
        let result: Promise<EdgeTaskResult> | null = null;
        if (page.relationships.length > 0) {
          const task: EdgeTask = { kind: 'edges', relationships: page.relationships, mapping: ctx.config.mapping, spaces, keys };
          result = ctx.pool.run<EdgeTaskResult>(task);
          result.catch(() => undefined); // awaited, and reported, by the committer
        }
        yield { lastCovered: after, count: page.relationships.length, result };
      }
    },
    (batch) => commitEdgeBatch(ctx, range, batch),
  );
}

async function commitEdgeBatch(ctx: RunContext, range: RangeProgress, batch: PendingEdges): Promise<void> {
  range.after = batch.lastCovered;
  range.done = batch.lastCovered >= range.upper;
  if (batch.result === null) {
    if (range.done) await saveCheckpoint(ctx);
    return;
  }
  const result = await batch.result;
  if (!ctx.dryRun && result.count > 0) {
    const write = ctx.edgeSidecar ? () => ctx.edgeSidecar!.append(result.bytes) : () => ctx.target.writeEdges(result.bytes, result.count);
    await write();
  }
  await ctx.rejects.add(result.rejects);
  const counters = ctx.checkpoint.counters;
  counters.relationshipsRead += batch.count;
  counters.edgesWritten += result.count;
  counters.relationshipsRejected += result.rejects.length;
  await saveCheckpoint(ctx);
  emitProgress(ctx, 'edges', null);
  if (ctx.config.engine.pauseMs > 0 && !ctx.dryRun) await sleep(ctx.config.engine.pauseMs, ctx.signal).catch(() => undefined);
}
