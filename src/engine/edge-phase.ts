import { sleep } from '../shared/abort.js';
import type { EdgeTask, EdgeTaskResult } from '../../workers/task-types.js';
import { pipelined } from './pipeline.js';
import type { LabelPlan } from './plan.js';
import { emitProgress, labelProgress, saveCheckpoint, type RunContext } from './run-context.js';

interface PendingEdges {
  lastKey: string;
  count: number;
  result: Promise<EdgeTaskResult>;
}

/**
 * Streams the outgoing relationships of one label's nodes (keyset pages over the source key) through
 * the pool's edge mapping (article weights), into the target's edge file or, where the target cannot
 * hold edges (Engram), the run's edge sidecar. Checkpointed per page like nodes.
 */
export async function migrateEdges(ctx: RunContext, label: LabelPlan): Promise<void> {
  const progress = labelProgress(ctx, label.label);
  if (progress.edgesDone) return;
  const order = ctx.plan.labels.map((l) => l.label);
  const spaces = Object.fromEntries(ctx.plan.labels.map((l) => [l.label, l.space]));
  const completed = await pipelined(
    ctx.config.engine.maxInflightBatches,
    ctx.signal,
    async function* (stopped) {
      let after = progress.edgesAfter ?? '';
      while (!stopped()) {
        const page = await ctx.source.relationshipPage(label, after, ctx.config.engine.edgeBatchSize, order);
        if (!page) return;
        const task: EdgeTask = { kind: 'edges', relationships: page.relationships, mapping: ctx.config.mapping, spaces };
        const result = ctx.pool.run<EdgeTaskResult>(task);
        result.catch(() => undefined); // awaited, and reported, by the committer
        yield { lastKey: page.lastKey, count: page.relationships.length, result };
        after = page.lastKey;
      }
    },
    (batch) => commitEdgeBatch(ctx, label, batch),
  );
  if (completed) {
    progress.edgesDone = true;
    await saveCheckpoint(ctx);
  }
}

async function commitEdgeBatch(ctx: RunContext, label: LabelPlan, batch: PendingEdges): Promise<void> {
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
  labelProgress(ctx, label.label).edgesAfter = batch.lastKey;
  await saveCheckpoint(ctx);
  emitProgress(ctx, 'edges', label);
  if (ctx.config.engine.pauseMs > 0 && !ctx.dryRun) await sleep(ctx.config.engine.pauseMs, ctx.signal).catch(() => undefined);
}
