import { followAbort } from '../shared/abort.js';
import { TargetError } from '../errors.js';
import type { RejectRecord } from '../mapping/types.js';
import { EngramClient, type EngramClientOptions } from './engram-client.js';
import { mapLimit } from '../shared/map-limit.js';
import { SpaceLanes } from './space-lanes.js';
import { EngramGraphDatabase } from '../live/adapters/engram-graph-database.js';
import type { LiveMemory } from '../live/graph-database.js';
import type { EncodedMemoryBatch, MemoryWriteResult, Target, WriteGate, TargetCapabilities, TargetState } from './target.js';

/**
 * Engram over HTTP. One request per memory (Engram has no batch route), bounded by the run's limiter.
 * Edges cannot be stored (no edge API): the engine writes them to the run's edge sidecar instead.
 * A 201 does not prove a memory is stored (near-duplicate dedup, eviction): validation reads back.
 */
/** 4xx answers a single record can earn (its body is invalid); any other 4xx says more about the setup than the record. */
const RECORD_STATUSES = new Set([400, 409, 413, 422]);

/** Consecutive identical unexplained 4xx answers after which a run stops instead of rejecting everything. */
export const DEFAULT_REJECT_STREAK_LIMIT = 20;

/** A memory as the live adapter takes it, from the remember request a worker encoded for it. */
export function liveMemoryOf(body: Uint8Array): LiveMemory {
  const r = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as {
    id: string;
    memory_space_id: string;
    content: string;
    embedding: number[];
    confidence: number;
    timestamp: string;
    memory_type: string;
  };
  return {
    id: r.id,
    space: r.memory_space_id,
    content: r.content,
    embedding: Float32Array.from(r.embedding),
    timestamp: r.timestamp,
    memoryType: r.memory_type,
    strength: r.confidence,
  };
}

export class EngramTarget implements Target {
  readonly kind = 'engram' as const;
  readonly encoding = 'engram-json' as const;
  readonly capabilities: TargetCapabilities;
  readonly location: string;
  readonly client: EngramClient;
  readonly #concurrency: number;
  readonly #chunkMax: number;
  readonly #streakLimit: number;
  /** The live adapter over the same client, for rewrites that must land (not owned: closing it leaves the client open). */
  readonly #updater: EngramGraphDatabase;
  /** The run of identical unexplained 4xx answers (status and error code) that ended the latest writes. */
  #streak = { key: '', count: 0 };
  /** Requests in flight over all `writeMemories` calls (a batch starts while the previous one's last are on the wire), and per space. */
  #inFlight = 0;
  readonly #inFlightPerSpace = new Map<string, number>();
  /** Lanes waiting for one of those requests to end. */
  readonly #waiting: Array<() => void> = [];

  constructor(options: EngramClientOptions & { capacityPerSpace: number; chunkMax?: number; rejectStreakLimit?: number }) {
    this.client = new EngramClient(options);
    this.#concurrency = options.connections ?? 16;
    this.#chunkMax = options.chunkMax ?? 64;
    this.#streakLimit = options.rejectStreakLimit ?? DEFAULT_REJECT_STREAK_LIMIT;
    this.location = this.client.displayUrl;
    this.#updater = new EngramGraphDatabase({ client: this.client, name: 'engram-rewrite' });
    this.capabilities = { edges: false, dedup: true, capacityPerSpace: options.capacityPerSpace, checkpointDuringWrites: true };
  }

  /**
   * Checks that the server answers. Its reported status is not a verdict: the real server calls itself
   * `unhealthy` (503) for a while on a busy machine while every route works, and writes are verified by
   * their own answers and by read-back anyway.
   */
  async open(): Promise<void> {
    await this.client.health();
  }

  /**
   * Sends a batch over `gate.concurrency` lanes (default: the target's `concurrency`); each lane sends one
   * request at a time, and at most `concurrency` requests are in flight over every batch being written
   * (the next batch may start once `onAllSent` has been called, while this one's last requests are on
   * the wire). With a rate, each lane takes chunks of memories and pays their tokens to the limiter up
   * front (weight = records): bottleneck admits a few hundred jobs per second, far too few for one job
   * per request.
   */
  async writeMemories(batch: EncodedMemoryBatch, gate: WriteGate, signal?: AbortSignal, onAllSent?: () => void): Promise<MemoryWriteResult> {
    // Every in-flight request listens on this signal: one per lane, more than Node's default warning limit.
    const { controller: failFast, release } = followAbort(signal);
    const rejects: RejectRecord[] = [];
    let written = 0;
    const total = batch.ids.length;
    const lanes = gate.concurrency > 0 ? gate.concurrency : this.#concurrency;
    // Without a rate, lanes take one record at a time; with a rate, chunks of a space's records (few jobs
    // for the bucket). A free lane takes from the space with the fewest requests in flight, each space's
    // records in the batch's order (the order the near-duplicate predictor settles them in): the server
    // serves one request per space at a time, so no space of a sharded batch is left without work.
    const chunk = gate.rated ? Math.max(1, Math.min(this.#chunkMax, Math.ceil(total / lanes))) : 1;
    const queues = new SpaceLanes(batch.spaces, this.#inFlightPerSpace);
    let allSent = false;
    const sentAll = (): void => {
      if (allSent) return;
      allSent = true;
      onAllSent?.();
    };
    const reject = (i: number, reason: string): void =>
      void rejects.push({ kind: 'node', id: batch.ids[i]!, label: null, elementId: null, field: null, code: 'TARGET_REJECTED', reason });
    const send = async (i: number): Promise<void> => {
      const body = batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1]);
      let stored: string;
      try {
        stored = await this.client.remember(batch.spaces[i]!, body, failFast.signal);
      } catch (err) {
        if (!(err instanceof TargetError && err.code === 'TARGET_REJECTED')) throw err;
        this.#countReject(err);
        return reject(i, err.message);
      }
      this.#streak = { key: '', count: 0 };
      if (stored === batch.ids[i]) written++;
      else
        reject(
          i,
          stored
            ? `Engram answered 2xx but reports memory_id ${JSON.stringify(stored)} instead of the id sent: the memory is not stored under its id`
            : 'Engram answered 2xx without a memory_id: cannot tell whether the memory is stored under its id',
        );
    };
    const lane = async (): Promise<void> => {
      while (!failFast.signal.aborted) {
        await this.#slot(lanes);
        const taken = failFast.signal.aborted ? null : queues.take(chunk);
        if (taken === null) return this.#unslot();
        if (queues.remaining === 0) sentAll();
        try {
          await gate.schedule(taken.rows.length, async () => {
            for (const i of taken.rows) {
              if (failFast.signal.aborted) return;
              await send(i);
            }
          });
        } finally {
          queues.release(taken.space);
          this.#unslot();
        }
      }
    };
    try {
      await Promise.all(
        Array.from({ length: Math.min(lanes, Math.ceil(total / chunk)) }, () =>
          lane().catch((err: unknown) => {
            failFast.abort(err);
            throw err;
          }),
        ),
      );
      if (failFast.signal.aborted) throw failFast.signal.reason;
    } finally {
      release();
      sentAll();
    }
    return { written, rejects };
  }

  /** Waits until fewer than `limit` requests are in flight over all batches, and takes one place. */
  async #slot(limit: number): Promise<void> {
    while (this.#inFlight >= limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#inFlight++;
  }

  /** Gives a place back, to the lane that has waited longest. */
  #unslot(): void {
    this.#inFlight--;
    this.#waiting.shift()?.();
  }

  /**
   * Counts an unexplained 4xx (404, 405, ...) and stops the run once `rejectStreakLimit` identical ones
   * come in a row: that is a wrong URL, path or proxy, and the whole graph would go to the reject log.
   */
  #countReject(err: TargetError): void {
    if (err.status !== null && RECORD_STATUSES.has(err.status)) {
      this.#streak = { key: '', count: 0 };
      return;
    }
    const key = `${err.status} ${err.targetCode ?? ''}`;
    this.#streak = { key, count: this.#streak.key === key ? this.#streak.count + 1 : 1 };
    if (this.#streak.count >= this.#streakLimit) {
      throw new TargetError(
        'TARGET_HTTP',
        `stopped after ${this.#streak.count} consecutive identical answers ${key.trim()} from ${this.location}, which no record explains (wrong --engram-url, path or proxy?); last: ${err.message}`,
        {
          cause: err,
          status: err.status,
          targetCode: err.targetCode,
          retriable: false,
        },
      );
    }
  }

  /**
   * Rewrites memories through the live Engram adapter's update path (GET, POST at a confidence strictly
   * above the stored one, GET): a version the server already holds is not sent again, and an update
   * that the server dropped (a near-duplicate of the old version at the same confidence) is retried.
   * Over the target's `concurrency` lanes, outside the run's rate limit (raced nodes are few).
   */
  async rewriteMemories(batch: EncodedMemoryBatch, signal?: AbortSignal): Promise<MemoryWriteResult & { retry: Map<string, string> }> {
    const rejects: RejectRecord[] = [];
    const retry = new Map<string, string>();
    let written = 0;
    // Each lane's requests listen on the signal (GET, POST, GET, retries): a signal of this call's own,
    // so the caller's run signal does not collect more listeners than Node's warning limit.
    const { controller: local, release } = followAbort(signal);
    try {
      // ids are distinct within a batch, so two lanes never write one id at once
      await mapLimit(batch.ids, this.#concurrency, async (id, i) => {
        try {
          await this.#updater.createMemory(liveMemoryOf(batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1])), local.signal);
          written++;
        } catch (err) {
          if (!(err instanceof TargetError && err.code === 'TARGET_REJECTED')) throw err;
          if (err.retriable) retry.set(id, err.message);
          else rejects.push({ kind: 'node', id, label: null, elementId: null, field: null, code: 'TARGET_REJECTED', reason: err.message });
        }
      });
    } finally {
      release();
    }
    return { written, rejects, retry };
  }

  async writeEdges(): Promise<void> {
    throw new TargetError('TARGET_REJECTED', 'Engram has no edge API; edges go to the run sidecar', { retriable: false });
  }

  async state(): Promise<TargetState> {
    return {};
  }

  async spaceCounts(spaces: readonly string[], loadedOnly = false): Promise<Map<string, number>> {
    return this.client.spaceCounts(spaces, undefined, loadedOnly);
  }

  async finish(): Promise<void> {}

  async close(): Promise<void> {
    await this.client.close();
  }
}
