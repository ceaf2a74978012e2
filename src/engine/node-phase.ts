import { ConfigError } from '../errors.js';
import { describeKey } from '../mapping/node-mapper.js';
import { EMBEDDING_DIM, type RejectRecord } from '../mapping/types.js';
import { followAbort, sleep } from '../shared/abort.js';
import type { NodeTask, NodeTaskResult } from '../../workers/task-types.js';
import { buildNodeBatch, type NodeBatchBuffers } from './node-batch.js';
import { liveStampProperty, settleLiveRaces, stampKey, UNCHECKED_STAMP, type RaceOutcome, type WrittenNode } from './live-race.js';
import { pipelined } from './pipeline.js';
import type { LabelPlan } from './plan.js';
import type { RangeProgress } from './checkpoint-store.js';
import { emitProgress, labelProgress, saveCheckpoint, type RunContext } from './run-context.js';

interface PendingBatch {
  range: number;
  /** The highest node id the page covered. */
  lastCovered: number;
  count: number;
  elementIds: string[];
  embeddings: Float32Array;
  /** Per page row, the live stamp when read (race-safe backfill); null when the check is off. */
  stamps: Array<string | null> | null;
  /** null: an empty page (nothing to map or write). */
  result: Promise<NodeTaskResult> | null;
}

/** Pages seek at most this many times the batch size of ids (a label spread thinly over the id space). */
const MAX_SPAN_FACTOR = 64;

/**
 * A range's first page holds at most this many nodes, and each next page twice as many, up to the batch
 * size: writing starts as soon as a few nodes are read and mapped, instead of after a whole batch on cold
 * threads (a 250-node first page took 0.6 s to read and 0.2 s to map in a fresh process; a label's writes
 * waited for it). Later pages are whole batches.
 */
const FIRST_PAGE_LIMIT = 32;

/** The page limits of one range, from {@link FIRST_PAGE_LIMIT} doubling up to `batchSize`. */
function pageLimitAfter(previous: number | null, batchSize: number): number {
  return previous === null ? Math.min(batchSize, FIRST_PAGE_LIMIT) : Math.min(batchSize, previous * 2);
}

/** Splits the label's node-id range into one range per reader, once; kept in the checkpoint for resumes. */
async function labelRanges(ctx: RunContext, label: LabelPlan): Promise<RangeProgress[]> {
  const progress = labelProgress(ctx, label.label);
  if (progress.ranges) return progress.ranges;
  const bounds = label.nodes === 0 ? null : await ctx.source.nodeIdBounds(label);
  const size = ctx.config.engine.batchSize;
  if (!bounds) {
    progress.ranges = [];
  } else {
    const parts = ctx.readers && label.nodes >= ctx.readers.size * size ? ctx.readers.size : 1;
    const width = Math.ceil((bounds.hi - bounds.lo + 1) / parts);
    // The first span assumes the label fills its id range evenly; pages adapt from there.
    const span = Math.min(size * MAX_SPAN_FACTOR, Math.max(size, Math.ceil((size * (bounds.hi - bounds.lo + 1)) / label.nodes)));
    progress.ranges = Array.from({ length: parts }, (_, i) => ({
      after: bounds.lo + i * width - 1,
      upper: Math.min(bounds.hi, bounds.lo + (i + 1) * width - 1),
      span,
      done: false,
    }));
  }
  await saveCheckpoint(ctx);
  return progress.ranges;
}

/**
 * The next page of a range: from its reader thread, or read on the main thread when there are no readers
 * or while the range's reader is still loading its modules and connecting (ready 0.8-1.3 s after the start
 * in a fresh process on two cores, the plan done at 0.5 s): the main thread is connected already, and the
 * first small pages (FIRST_PAGE_LIMIT) are cheap to read there.
 */
async function readRange(
  ctx: RunContext,
  label: LabelPlan,
  index: number,
  lo: number,
  hi: number,
  limit: number,
): Promise<{ buffers: NodeBatchBuffers; lastCovered: number }> {
  if (ctx.readers?.ready(index)) {
    const page = await ctx.readers.page(index, { scope: { label: label.label, earlier: label.earlier }, key: label.key.properties, lo, hi, limit });
    return { buffers: page, lastCovered: page.lastCovered };
  }
  const page = await ctx.source.nodePage(label, label.key.properties, lo, hi, limit);
  return { buffers: buildNodeBatch(page.nodes), lastCovered: page.lastCovered };
}

/** The next span: halve it when the limit cut the page, double it when the page came back sparse. */
function nextSpan(span: number, found: number, limit: number): number {
  if (found >= limit) return Math.max(limit, Math.floor(span / 2));
  if (found < limit / 4) return Math.min(limit * MAX_SPAN_FACTOR, span * 2);
  return span;
}

/**
 * Streams one label's nodes page by page (node-id ranges, one per reader) into the pool, and commits
 * the mapped batches to the target in arrival order: reading, mapping and writing overlap, bounded by
 * `maxInflightBatches`, and a batch's writes overlap the previous batch's finish. After each acknowledged
 * and checked batch the checkpoint records how far its range got.
 */
export async function migrateNodes(ctx: RunContext, label: LabelPlan): Promise<void> {
  const progress = labelProgress(ctx, label.label);
  if (progress.nodesDone) return;
  const ranges = await labelRanges(ctx, label);
  const limit = ctx.config.engine.batchSize;
  const stampProperty = liveStampProperty(ctx);
  // Pages handed to the pool and not settled yet: a failed run waits for them before the pool is closed,
  // since a worker terminated in the middle of ONNX inference can abort the whole process.
  const dispatched = new Set<Promise<NodeTaskResult>>();
  const committer = batchCommitter(ctx, label);
  const completed = await pipelined(
    ctx.config.engine.maxInflightBatches,
    ctx.signal,
    async function* (stopped) {
      const cursor = ranges.map((r) => ({ after: r.after, span: r.span, limit: pageLimitAfter(null, limit) }));
      type Read = { index: number; lo: number; page: Awaited<ReturnType<typeof readRange>> };
      const inFlight = new Map<number, Promise<Read>>();
      const request = (i: number): void => {
        const { after, span } = cursor[i]!;
        const lo = after + 1;
        const hi = Math.min(ranges[i]!.upper, after + span);
        inFlight.set(
          i,
          readRange(ctx, label, i, lo, hi, cursor[i]!.limit).then((page) => ({ index: i, lo, page })),
        );
      };
      ranges.forEach((r, i) => (r.done || r.after >= r.upper ? undefined : request(i)));
      /** Ranges whose next batch is the first after a resume (see UNCHECKED_STAMP). */
      const unchecked = new Set(ctx.resumed ? ranges.keys() : []);
      while (inFlight.size > 0 && !stopped()) {
        const { index, page } = await Promise.race(inFlight.values());
        inFlight.delete(index);
        const nodes = page.buffers.nodes;
        const c = cursor[index]!;
        c.after = page.lastCovered;
        // A short first page says nothing of the label's density: the span adapts to whole pages only.
        if (c.limit === limit) c.span = nextSpan(c.span, nodes.length, limit);
        c.limit = pageLimitAfter(c.limit, limit);
        if (c.after < ranges[index]!.upper) request(index);
        const result = nodes.length === 0 ? null : dispatchNodePage(ctx, label, page.buffers);
        if (result) {
          dispatched.add(result);
          void result.catch(() => undefined).finally(() => dispatched.delete(result));
        }
        yield {
          range: index,
          lastCovered: page.lastCovered,
          count: nodes.length,
          elementIds: nodes.map((n) => n.elementId),
          embeddings: page.buffers.embeddings,
          stamps: stampProperty === null ? null : readStamps(nodes, stampProperty, unchecked.delete(index)),
          result,
        };
      }
      await Promise.allSettled(inFlight.values());
    },
    committer.commit,
  )
    .then(async (ran) => {
      await committer.done();
      return ran;
    })
    .catch(async (err: unknown) => {
      await committer.done().catch(() => undefined);
      await Promise.allSettled(dispatched);
      throw err;
    });
  if (completed && ranges.every((r) => r.done)) {
    progress.nodesDone = true;
    await saveCheckpoint(ctx);
  }
}

/**
 * Hands one page to the pool: one task per worker over slices of the same shared buffers, so inference
 * within a page runs on every worker. Nodes that lost their key to another (found by the plan) are
 * marked for the worker to reject.
 */
function dispatchNodePage(ctx: RunContext, label: LabelPlan, buffers: NodeBatchBuffers): Promise<NodeTaskResult> {
  const nodes = buffers.nodes;
  const duplicates = ctx.duplicates.get(label.label);
  const slices = Math.max(1, Math.min(ctx.pool.sizing.workers, Math.ceil(nodes.length / 256)));
  const size = Math.ceil(nodes.length / slices);
  const starts: number[] = [];
  const parts: Array<Promise<NodeTaskResult>> = [];
  for (let start = 0; start < nodes.length; start += size) {
    const end = Math.min(nodes.length, start + size);
    const slice = buffers.nodes.slice(start, end);
    const task: NodeTask = {
      kind: 'nodes',
      nodes: slice,
      embeddings: buffers.embeddings.subarray(start * EMBEDDING_DIM, end * EMBEDDING_DIM),
      embeddingState: buffers.embeddingState.subarray(start, end),
      embeddingDetail: buffers.embeddingDetail.slice(start, end),
      space: label.space,
      shards: label.shards,
      key: label.key,
      mapping: ctx.config.mapping,
      encoding: ctx.target.encoding,
      now: ctx.checkpoint.now,
      duplicates:
        duplicates && duplicates.size > 0
          ? slice.flatMap((n, row) => (duplicates.has(n.elementId) ? [[row, duplicates.get(n.elementId)!] as [number, string]] : []))
          : [],
      dryRun: ctx.dryRun,
      generateInDryRun: ctx.dedup !== null,
    };
    starts.push(start);
    parts.push(ctx.pool.run<NodeTaskResult>(task));
  }
  const result = Promise.all(parts).then((done) => mergeNodeResults(done, starts));
  result.catch(() => undefined); // awaited, and reported, by the committer
  return result;
}

/**
 * A label whose first page is rejected whole for its key (a key property no node has, or of the wrong
 * type) would send every node to the reject log: stop the run instead, naming the label, the key, why
 * it was chosen and the constraints the database has.
 */
function checkKeyUsable(ctx: RunContext, label: LabelPlan, count: number, rejects: readonly RejectRecord[]): void {
  const progress = labelProgress(ctx, label.label);
  if (progress.keyChecked || count === 0) return;
  progress.keyChecked = true;
  const keyRejects = rejects.filter((r) => r.code === 'MISSING_KEY' || r.code === 'INVALID_KEY');
  if (count < 2 || keyRejects.length < count) return;
  throw new ConfigError(
    `mapping.keys.${label.label}`,
    `every node of the first page of ${label.label} (${count}) was rejected for its key ${describeKey(label.key)} (${label.key.reason}); first: ${keyRejects[0]!.reason}. Choose the key with --keys ${label.label}=<property> or mapping.keys.`,
  );
}

/** A batch on its way: its mapping, its writes' outcome and its prediction, kept for {@link finishNodeBatch}. */
interface WrittenBatch {
  batch: PendingBatch;
  result: NodeTaskResult | null;
  written: number;
  targetRejects: RejectRecord[];
  predicted: Promise<unknown> | undefined;
}

/**
 * Commits batches in order, overlapping each batch's writes with the previous batch's finish (its live
 * stamp check, reject log and checkpoint) and with the previous batch's last requests, when the target
 * allows it: Engram is not left idle between batches, nor one of a sharded batch's spaces at its tail.
 * A batch's writes start once every record of the one before is on its way; the target keeps at most
 * `concurrency` requests in flight over both. `done()` waits for the last writes and finish.
 * A failure stops the run at the next commit: the batch written meanwhile is not checkpointed
 * and is written again on resume.
 */
function batchCommitter(ctx: RunContext, label: LabelPlan): { commit: (batch: PendingBatch) => Promise<void>; done: () => Promise<void> } {
  // No overlap when something must see the target at a batch boundary: validation in flight counts the
  // spaces after each batch, a pause between batches is a pause of the writes, and a target whose state
  // depends on what is in flight (the bundle's file lengths) cannot be checkpointed meanwhile.
  const overlap = ctx.onBatchCommitted === undefined && ctx.config.engine.pauseMs <= 0 && ctx.target.capabilities.checkpointDuringWrites;
  let finishing: Promise<void> = Promise.resolve();
  let writing: Promise<unknown> = Promise.resolve();
  // A batch whose writes fail stops the next one's, which may have started beside its last requests.
  const { controller: stop, release } = followAbort(ctx.signal);
  return {
    commit: async (batch) => {
      const { sent, written } = writeNodeBatch(ctx, label, batch, stop.signal);
      writing = written;
      written.catch((err: unknown) => stop.abort(err)); // and awaited by this batch's finish
      // With overlap, the next batch may start once this one's records are all on their way.
      await (overlap ? sent : written);
      if (stop.signal.aborted) await written; // failed already: its error, not the next batch's
      await finishing; // the previous batch's failure stops the run here, before this one is finished
      finishing = written.then((w) => finishNodeBatch(ctx, label, w));
      finishing.catch(() => undefined); // awaited by the next commit or by done()
      if (overlap) return;
      await finishing;
      if (ctx.config.engine.pauseMs > 0 && !ctx.dryRun) await sleep(ctx.config.engine.pauseMs, ctx.signal).catch(() => undefined);
    },
    // The last batch's requests end before the run goes on (or closes the target after a failure).
    done: async () => {
      await writing.catch(() => undefined);
      release();
      await finishing;
    },
  };
}

/**
 * Maps (awaits the pool), predicts and writes one batch; nothing of it is recorded yet. `sent` settles
 * once every record is on its way (or the writes ended), `written` when they ended.
 */
function writeNodeBatch(
  ctx: RunContext,
  label: LabelPlan,
  batch: PendingBatch,
  signal: AbortSignal,
): { sent: Promise<unknown>; written: Promise<WrittenBatch> } {
  let onSent: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => (onSent = resolve));
  const written = (async (): Promise<WrittenBatch> => {
    if (batch.result === null) return { batch, result: null, written: 0, targetRejects: [], predicted: undefined };
    const result = await batch.result;
    checkKeyUsable(ctx, label, batch.count, result.rejects);
    let written = result.ids.length;
    let targetRejects: RejectRecord[] = [];
    // The batch's predicted near-duplicate drops (src/dedup), in write order: refuse waits for them before
    // anything of the batch is written; record lets the writes go on beside the prediction.
    const predicted = ctx.dedup?.check(label.label, result.ids, result.spaces, result.rows, batch.embeddings);
    predicted?.catch(() => undefined); // awaited in finishNodeBatch
    if (ctx.dedup?.refuses) await predicted;
    if (!ctx.dryRun) {
      const outcome = await ctx.target.writeMemories(result, ctx.limiter, signal, onSent);
      written = outcome.written;
      const elementIdOf = new Map(result.ids.map((id, i) => [id, batch.elementIds[result.rows[i]!]!]));
      targetRejects = outcome.rejects.map((r) => ({
        ...r,
        label: label.label,
        elementId: r.elementId ?? (r.id === null ? null : (elementIdOf.get(r.id) ?? null)),
      }));
    }
    return { batch, result, written, targetRejects, predicted };
  })();
  return { sent: Promise.race([sent, written.catch(() => undefined)]), written };
}

/** After the batch's writes: the live stamp check, then its rejects, counters and checkpoint. */
async function finishNodeBatch(ctx: RunContext, label: LabelPlan, w: WrittenBatch): Promise<void> {
  const { batch, result } = w;
  const range = labelProgress(ctx, label.label).ranges![batch.range]!;
  range.after = batch.lastCovered;
  range.done = batch.lastCovered >= range.upper;
  if (result === null) {
    if (range.done) await saveCheckpoint(ctx);
    return;
  }
  const counters = ctx.checkpoint.counters;
  const targetRejects = w.targetRejects;
  const race = await checkLiveRaces(ctx, label, batch, result, targetRejects);
  const written = w.written - race.rejects.length;
  targetRejects.push(...race.rejects);
  await w.predicted; // its map lines are made durable with this batch's checkpoint
  await ctx.rejects.add([...result.rejects, ...targetRejects]);
  counters.nodesRead += batch.count;
  counters.memoriesWritten += written;
  counters.nodesRejected += result.rejects.length + targetRejects.length;
  counters.embeddingsCopied += result.copied;
  counters.embeddingsGenerated += result.generated;
  // Absent in checkpoints written before mapping.onWrongWidth existed.
  counters.embeddingsRegeneratedWrongWidth = (counters.embeddingsRegeneratedWrongWidth ?? 0) + result.regeneratedWrongWidth;
  counters.timestampsDefaulted += result.timestampsDefaulted;
  counters.liveRaced = (counters.liveRaced ?? 0) + race.raced;
  counters.liveRewritten = (counters.liveRewritten ?? 0) + race.rewritten;
  ctx.embeddingsToGenerate += result.toGenerate;
  await saveCheckpoint(ctx);
  await ctx.onBatchCommitted?.({
    label: label.label,
    ids: result.ids,
    spaces: result.spaces,
    rows: result.rows,
    embeddings: batch.embeddings,
    memoriesWritten: counters.memoriesWritten,
  });
  emitProgress(ctx, 'nodes', label);
}

/** The live stamps of a page as read; stamped nodes of a first batch after a resume as {@link UNCHECKED_STAMP}. */
function readStamps(nodes: NodeBatchBuffers['nodes'], property: string, afterResume: boolean): Array<string | null> {
  return nodes.map((n) => {
    const stamp = stampKey(n.properties[property]);
    return afterResume && stamp !== null ? UNCHECKED_STAMP : stamp;
  });
}

/** After a written batch: the race-safe backfill's check and rewrites (see live-race.ts); nothing when it is off. */
async function checkLiveRaces(
  ctx: RunContext,
  label: LabelPlan,
  batch: PendingBatch,
  result: NodeTaskResult,
  targetRejects: readonly RejectRecord[],
): Promise<RaceOutcome> {
  const property = liveStampProperty(ctx);
  if (property === null || batch.stamps === null) return { raced: 0, rewritten: 0, rejects: [] };
  const refused = new Set(targetRejects.map((r) => r.id));
  const written = new Map<string, WrittenNode>();
  result.ids.forEach((id, i) => {
    if (!refused.has(id)) written.set(batch.elementIds[result.rows[i]!]!, { id, stamp: batch.stamps![result.rows[i]!] ?? null });
  });
  if (written.size === 0) return { raced: 0, rewritten: 0, rejects: [] };
  return settleLiveRaces(ctx, label, property, written, (buffers) => dispatchNodePage(ctx, label, buffers));
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
    regeneratedWrongWidth: parts.reduce((n, p) => n + p.regeneratedWrongWidth, 0),
    timestampsDefaulted: parts.reduce((n, p) => n + p.timestampsDefaulted, 0),
    inferenceMs: parts.reduce((n, p) => n + p.inferenceMs, 0),
  };
}
