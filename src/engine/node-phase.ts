import { mapNode } from '../mapping/node-mapper.js';
import type { RejectRecord } from '../mapping/types.js';
import { sleep } from '../shared/abort.js';
import type { NodeTask, NodeTaskResult } from '../../workers/task-types.js';
import { buildNodeBatch } from './node-batch.js';
import { pipelined } from './pipeline.js';
import type { LabelPlan } from './plan.js';
import { emitProgress, labelProgress, saveCheckpoint, type RunContext } from './run-context.js';

/** Nodes whose key is missing or not a string never appear in key-ordered pages: reject them first. */
export async function rejectBadKeys(ctx: RunContext, label: LabelPlan): Promise<void> {
  const progress = labelProgress(ctx, label.label);
  if (progress.badKeysDone) return;
  const rejects: RejectRecord[] = [];
  for await (const node of ctx.source.badKeyNodes(label)) {
    const result = mapNode(node, { kind: 'absent' }, ctx.config.mapping, label.space, ctx.checkpoint.now);
    if (!result.ok) rejects.push(result.reject);
  }
  await ctx.rejects.add(rejects);
  ctx.checkpoint.counters.nodesRead += rejects.length;
  ctx.checkpoint.counters.nodesRejected += rejects.length;
  progress.badKeysDone = true;
  await saveCheckpoint(ctx);
}

interface PendingBatch {
  lastKey: string;
  count: number;
  embeddings: Float32Array;
  result: Promise<NodeTaskResult>;
}

/**
 * Streams one label's nodes page by page (keyset on the key) into the pool, and commits the mapped
 * batches to the target in order: reading, mapping and writing overlap, bounded by `maxInflightBatches`.
 * After each acknowledged batch the checkpoint records the batch's last key.
 */
export async function migrateNodes(ctx: RunContext, label: LabelPlan): Promise<void> {
  const progress = labelProgress(ctx, label.label);
  if (progress.nodesDone) return;
  const { engine, mapping } = ctx.config;
  const completed = await pipelined(
    engine.maxInflightBatches,
    ctx.signal,
    async function* (stopped) {
      let after = progress.nodesAfter ?? '';
      while (!stopped()) {
        const page = await ctx.source.nodePage(label, after, engine.batchSize, label.uniqueKey);
        if (!page) return;
        const buffers = buildNodeBatch(page.nodes);
        const task: NodeTask = {
          kind: 'nodes',
          ...buffers,
          space: label.space,
          mapping,
          encoding: ctx.target.encoding,
          now: ctx.checkpoint.now,
          takenKeys: label.takenKeys,
          previousKey: after === '' ? null : after,
          dryRun: ctx.dryRun,
        };
        const result = ctx.pool.run<NodeTaskResult>(task);
        result.catch(() => undefined); // awaited, and reported, by the committer
        yield { lastKey: page.lastKey, count: page.nodes.length, embeddings: buffers.embeddings, result };
        after = page.lastKey;
      }
    },
    (batch) => commitNodeBatch(ctx, label, batch),
  );
  if (completed) {
    progress.nodesDone = true;
    await saveCheckpoint(ctx);
  }
}

async function commitNodeBatch(ctx: RunContext, label: LabelPlan, batch: PendingBatch): Promise<void> {
  const result = await batch.result;
  const counters = ctx.checkpoint.counters;
  let written = result.ids.length;
  let targetRejects: RejectRecord[] = [];
  if (!ctx.dryRun) {
    const outcome = await ctx.target.writeMemories(result, ctx.limiter, ctx.signal);
    written = outcome.written;
    targetRejects = outcome.rejects.map((r) => ({ ...r, label: label.label }));
  }
  await ctx.rejects.add([...result.rejects, ...targetRejects]);
  counters.nodesRead += batch.count;
  counters.memoriesWritten += written;
  counters.nodesRejected += result.rejects.length + targetRejects.length;
  counters.embeddingsCopied += result.copied;
  counters.embeddingsGenerated += result.generated;
  ctx.embeddingsToGenerate += result.toGenerate;
  labelProgress(ctx, label.label).nodesAfter = batch.lastKey;
  await saveCheckpoint(ctx);
  await ctx.onBatchCommitted?.({ label: label.label, ids: result.ids, spaces: result.spaces, rows: result.rows, embeddings: batch.embeddings, memoriesWritten: counters.memoriesWritten });
  emitProgress(ctx, 'nodes', label);
  if (ctx.config.engine.pauseMs > 0 && !ctx.dryRun) await sleep(ctx.config.engine.pauseMs, ctx.signal).catch(() => undefined);
}
