import { mapNode } from '../mapping/node-mapper.js';
import { EMBEDDING_DIM, type RejectRecord } from '../mapping/types.js';
import { sleep } from '../shared/abort.js';
import type { NodeTask, NodeTaskResult } from '../../workers/task-types.js';
import { buildNodeBatch, type NodeBatchBuffers } from './node-batch.js';
import { pipelined } from './pipeline.js';
import type { LabelPlan } from './plan.js';
import type { RangeProgress } from './checkpoint-store.js';
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
  range: number;
  /** null: the range is exhausted (commit marks it done). */
  lastKey: string | null;
  count: number;
  embeddings: Float32Array;
  result: Promise<NodeTaskResult> | null;
}

/** Splits the label's keys into one range per reader, once; kept in the checkpoint for resumes. */
async function labelRanges(ctx: RunContext, label: LabelPlan): Promise<RangeProgress[]> {
  const progress = labelProgress(ctx, label.label);
  if (progress.ranges) return progress.ranges;
  const parts = ctx.readers?.size ?? 1;
  const splits = parts > 1 && label.nodes >= parts * ctx.config.engine.batchSize ? await ctx.source.splitKeys(label, label.nodes, parts) : [];
  const bounds = ['', ...splits];
  progress.ranges = bounds.map((after, i) => ({ after, upper: splits[i] ?? null, done: false }));
  await saveCheckpoint(ctx);
  return progress.ranges;
}

/** The next page of a range: from a reader thread, or read on the main thread. */
async function readRange(ctx: RunContext, label: LabelPlan, index: number, range: RangeProgress, after: string): Promise<{ buffers: NodeBatchBuffers; lastKey: string } | null> {
  const request = { scope: { label: label.label, earlier: label.earlier }, after, upper: range.upper, limit: ctx.config.engine.batchSize, uniqueKey: label.uniqueKey };
  if (ctx.readers) {
    const page = await ctx.readers.page(index, request);
    return page && { buffers: page, lastKey: page.lastKey };
  }
  const page = await ctx.source.nodePage(label, after, request.limit, label.uniqueKey, range.upper);
  return page && { buffers: buildNodeBatch(page.nodes), lastKey: page.lastKey };
}

/**
 * Streams one label's nodes page by page (keyset on the key, one key range per reader) into the pool, and
 * commits the mapped batches to the target in arrival order: reading, mapping and writing overlap, bounded
 * by `maxInflightBatches`. After each acknowledged batch the checkpoint records its range's last key.
 */
export async function migrateNodes(ctx: RunContext, label: LabelPlan): Promise<void> {
  const progress = labelProgress(ctx, label.label);
  if (progress.nodesDone) return;
  const ranges = await labelRanges(ctx, label);
  const completed = await pipelined(
    ctx.config.engine.maxInflightBatches,
    ctx.signal,
    async function* (stopped) {
      const cursor = ranges.map((r) => r.after);
      const inFlight = new Map<number, Promise<{ index: number; page: Awaited<ReturnType<typeof readRange>> }>>();
      const request = (i: number): void => void inFlight.set(i, readRange(ctx, label, i, ranges[i]!, cursor[i]!).then((page) => ({ index: i, page })));
      ranges.forEach((r, i) => (r.done ? undefined : request(i)));
      while (inFlight.size > 0 && !stopped()) {
        const { index, page } = await Promise.race(inFlight.values());
        inFlight.delete(index);
        if (!page) {
          yield { range: index, lastKey: null, count: 0, embeddings: new Float32Array(0), result: null };
          continue;
        }
        const result = dispatchNodePage(ctx, label, page.buffers, cursor[index]!);
        cursor[index] = page.lastKey;
        request(index);
        yield { range: index, lastKey: page.lastKey, count: page.buffers.nodes.length, embeddings: page.buffers.embeddings, result };
      }
      await Promise.allSettled(inFlight.values());
    },
    (batch) => commitNodeBatch(ctx, label, batch),
  );
  if (completed && ranges.every((r) => r.done)) {
    progress.nodesDone = true;
    await saveCheckpoint(ctx);
  }
}

/**
 * Hands one page to the pool: one task per worker over slices of the same shared buffers, so inference
 * within a page runs on every worker. Keys are sorted, so a slice's duplicate check starts from the
 * previous slice's last key.
 */
function dispatchNodePage(ctx: RunContext, label: LabelPlan, buffers: NodeBatchBuffers, after: string): Promise<NodeTaskResult> {
  const nodes = buffers.nodes;
  const slices = Math.max(1, Math.min(ctx.pool.sizing.workers, Math.ceil(nodes.length / 256)));
  const size = Math.ceil(nodes.length / slices);
  const starts: number[] = [];
  const parts: Array<Promise<NodeTaskResult>> = [];
  for (let start = 0; start < nodes.length; start += size) {
    const end = Math.min(nodes.length, start + size);
    const task: NodeTask = {
      kind: 'nodes',
      nodes: buffers.nodes.slice(start, end),
      embeddings: buffers.embeddings.subarray(start * EMBEDDING_DIM, end * EMBEDDING_DIM),
      embeddingState: buffers.embeddingState.subarray(start, end),
      embeddingDetail: buffers.embeddingDetail.slice(start, end),
      space: label.space,
      mapping: ctx.config.mapping,
      encoding: ctx.target.encoding,
      now: ctx.checkpoint.now,
      takenKeys: label.takenKeys,
      previousKey: start === 0 ? (after === '' ? null : after) : (nodes[start - 1]!.key as string),
      dryRun: ctx.dryRun,
    };
    starts.push(start);
    parts.push(ctx.pool.run<NodeTaskResult>(task));
  }
  const result = Promise.all(parts).then((done) => mergeNodeResults(done, starts));
  result.catch(() => undefined); // awaited, and reported, by the committer
  return result;
}

async function commitNodeBatch(ctx: RunContext, label: LabelPlan, batch: PendingBatch): Promise<void> {
  const range = labelProgress(ctx, label.label).ranges![batch.range]!;
  if (batch.result === null) {
    range.done = true;
    await saveCheckpoint(ctx);
    return;
  }
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
  range.after = batch.lastKey!;
  await saveCheckpoint(ctx);
  await ctx.onBatchCommitted?.({ label: label.label, ids: result.ids, spaces: result.spaces, rows: result.rows, embeddings: batch.embeddings, memoriesWritten: counters.memoriesWritten });
  emitProgress(ctx, 'nodes', label);
  if (ctx.config.engine.pauseMs > 0 && !ctx.dryRun) await sleep(ctx.config.engine.pauseMs, ctx.signal).catch(() => undefined);
}

/** Joins the results of one page's slices into one, in row order; rows become page rows. */
export function mergeNodeResults(parts: NodeTaskResult[], starts: number[]): NodeTaskResult {
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((n, p) => n + p.ids.length, 0);
  const offsets = new Uint32Array(total + 1);
  const rows = new Uint32Array(total);
  let at = 0;
  let base = 0;
  parts.forEach((p, j) => {
    for (let i = 0; i < p.ids.length; i++) {
      offsets[at + i + 1] = base + p.offsets[i + 1]!;
      rows[at + i] = starts[j]! + p.rows[i]!;
    }
    at += p.ids.length;
    base += p.offsets[p.ids.length]!;
  });
  const bytes = Buffer.concat(parts.map((p) => p.bytes));
  return {
    ids: parts.flatMap((p) => p.ids),
    spaces: parts.flatMap((p) => p.spaces),
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offsets,
    rows,
    rejects: parts.flatMap((p) => p.rejects),
    copied: parts.reduce((n, p) => n + p.copied, 0),
    generated: parts.reduce((n, p) => n + p.generated, 0),
    toGenerate: parts.reduce((n, p) => n + p.toGenerate, 0),
    inferenceMs: parts.reduce((n, p) => n + p.inferenceMs, 0),
  };
}
