import { MigrateError, isRetriable } from '../../errors.js';
import type { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import type { DlqOp } from '../dlq/dlq-entry.js';
import {
  embeddingText,
  type ActivationQuery,
  type ActivationResult,
  type EdgeWriteResult,
  type GraphDatabase,
  type LiveEdge,
  type LiveMemory,
  type StoreCapabilities,
  type StoredLiveMemory,
} from '../graph-database.js';
import type { LiveMetrics } from '../live-metrics.js';

export interface DualWriteOptions {
  /** The source of truth: its write is awaited and decides success (Neo4j until the cutover). */
  primary: GraphDatabase;
  /** The migration target, written asynchronously (Engram until the cutover). */
  secondary: GraphDatabase;
  /** Every write is logged here before the primary gets it; failed or skipped secondary writes stay here. */
  dlq: DeadLetterQueue;
  /**
   * Secondary writes in flight at most (default 64). When full, a write is left in the dead-letter queue
   * for the replayer instead of waiting, so a slow or dead secondary never slows the primary path.
   */
  maxSecondaryInFlight?: number;
  /** Longest time one secondary write may take before it counts as failed (default 5 s). */
  secondaryTimeoutMs?: number;
  metrics?: LiveMetrics | null;
  /**
   * Circuit breaker for the secondary (default on, see {@link SecondaryBreakerOptions}); `false` tries
   * every write whatever happened to the ones before.
   */
  breaker?: SecondaryBreakerOptions | false;
  /** Clock for the breaker (ms, monotonic; default performance.now). */
  now?: () => number;
  /** Wall clock for `writtenAt` (ms since the epoch; default Date.now). */
  wallClock?: () => number;
  /** Called for every failed secondary write (after it is safely in the dead-letter queue). */
  onSecondaryError?: (err: unknown, op: DlqOp) => void;
}

/** A write (not a delete) as the dual writer sends it. */
type WriteOp = Exclude<DlqOp, { kind: 'delete' }>;

/**
 * When the secondary keeps failing (unreachable, 5xx, 429, timeouts; not a write it rejects), trying
 * every write costs the service a connection attempt, a timer and an error per write for nothing. After
 * `failures` consecutive retriable failures the breaker opens: writes go straight to the dead-letter queue
 * (counted as `secondaryShed`) for `openMs`; then one write is let through as a probe: success closes the
 * breaker, failure opens it again for twice as long (at most `maxOpenMs`). The replayer drains what was
 * shed once the secondary answers.
 */
export interface SecondaryBreakerOptions {
  /** Consecutive retriable failures that open the breaker (default 5). */
  failures?: number;
  /** First open period (default 1 s); doubles on each failed probe up to `maxOpenMs` (default 30 s). */
  openMs?: number;
  maxOpenMs?: number;
}

/** Counters since start. */
export interface DualWriteStats {
  primaryOk: number;
  primaryFailed: number;
  secondaryOk: number;
  secondaryFailed: number;
  /** Left in the dead-letter queue because `maxSecondaryInFlight` writes were already running. */
  secondarySkipped: number;
  secondaryUnsupported: number;
  secondaryInFlight: number;
  /** Left in the dead-letter queue untried because the breaker was open. */
  secondaryShed: number;
  /** Left in the dead-letter queue because an older write of the same key was still being written (it follows it). */
  secondaryDeferred: number;
  /** Deletes done in the primary; Engram cannot delete, so each left a tombstone there (see `Neo4jGraphDatabase.listTombstones`). */
  deletes: number;
  /** The secondary's circuit breaker: `open` sheds writes, `half-open` has one probe in flight. */
  breaker: 'closed' | 'open' | 'half-open';
  /** Times the breaker opened. */
  breakerOpened: number;
}

/**
 * The article's dual-write coordinator with the dead-letter queue made durable: intent logged (group
 * fsync), primary write awaited, secondary write started in the background. A write returns as soon as
 * the primary holds it; what happens to the secondary afterwards (success, error, timeout, overflow, a
 * kill -9 of the process) can delay the secondary's copy but never lose it or slow the caller.
 * Reads go to the primary.
 */
export class DualWriteCoordinator implements GraphDatabase {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  readonly #o: DualWriteOptions;
  readonly #maxInFlight: number;
  readonly #timeoutMs: number;
  readonly #stats: DualWriteStats = {
    primaryOk: 0,
    primaryFailed: 0,
    secondaryOk: 0,
    secondaryFailed: 0,
    secondarySkipped: 0,
    secondaryUnsupported: 0,
    secondaryInFlight: 0,
    secondaryShed: 0,
    secondaryDeferred: 0,
    deletes: 0,
    breaker: 'closed',
    breakerOpened: 0,
  };
  readonly #settled = new Set<Promise<void>>();
  readonly #breaker: Required<SecondaryBreakerOptions> | null;
  #consecutiveFailures = 0;
  /** While open: when the next probe may go (performance.now() ms). */
  #openUntil = 0;
  #openMs = 0;
  readonly #now: () => number;

  constructor(options: DualWriteOptions) {
    this.#o = options;
    this.name = `dual(${options.primary.name}+${options.secondary.name})`;
    this.capabilities = options.primary.capabilities;
    this.#maxInFlight = options.maxSecondaryInFlight ?? 64;
    this.#timeoutMs = options.secondaryTimeoutMs ?? 5_000;
    this.#breaker = options.breaker === false ? null : { failures: 5, openMs: 1_000, maxOpenMs: 30_000, ...options.breaker };
    this.#openMs = this.#breaker?.openMs ?? 0;
    this.#now = options.now ?? (() => performance.now());
  }

  get stats(): DualWriteStats {
    return { ...this.#stats };
  }

  /**
   * The defaults are fixed here, so a replay from the queue writes the same timestamp the primary got, and
   * the embedding is printed once for both stores (a snapshot: a caller reusing its array cannot change
   * what the background write sends).
   */
  async createMemory(memory: LiveMemory): Promise<void> {
    const timestamp = memory.timestamp ?? new Date().toISOString();
    const writtenAt = (this.#o.wallClock ?? Date.now)();
    await this.#write({ kind: 'memory', memory: { ...memory, timestamp, writtenAt, embeddingText: embeddingText(memory) } });
  }

  /**
   * Deletes a memory from the primary. Engram cannot delete (DELETE answers `not_supported`): the
   * primary records a tombstone in the same transaction (for validation and the checklist), and the
   * delete, logged like a write, supersedes the key's queued writes so none of them resurrects it.
   */
  async deleteMemory(space: string, id: string): Promise<void> {
    const { primary, dlq, metrics } = this.#o;
    if (primary.deleteMemory === undefined) throw new MigrateError('INTERNAL', `${primary.name} cannot delete memories`);
    const seq = await dlq.recordIntent({ kind: 'delete', space, id });
    try {
      await primary.deleteMemory(space, id);
    } catch (err) {
      dlq.primaryFailed(seq);
      metrics?.writes.inc({ store: primary.name, kind: 'delete', result: 'error' });
      throw err;
    }
    dlq.primaryOk(seq);
    dlq.done(seq); // nothing to send: the secondary keeps the memory, the primary the tombstone
    this.#stats.deletes++;
    metrics?.writes.inc({ store: primary.name, kind: 'delete', result: 'ok' });
  }

  /** The primary decides; the secondary's answer (`unsupported` for Engram) is counted, not returned. */
  async createEdge(edge: LiveEdge): Promise<EdgeWriteResult> {
    return (await this.#write({ kind: 'edge', edge })) ?? { stored: true };
  }

  async #write(op: WriteOp): Promise<EdgeWriteResult | void> {
    const { primary, dlq, metrics } = this.#o;
    const seq = await dlq.recordIntent(op);
    const t0 = performance.now();
    let result: EdgeWriteResult | void;
    try {
      result = op.kind === 'memory' ? await primary.createMemory(op.memory) : await primary.createEdge(op.edge);
    } catch (err) {
      dlq.primaryFailed(seq);
      this.#stats.primaryFailed++;
      metrics?.writes.inc({ store: primary.name, kind: op.kind, result: 'error' });
      throw err;
    }
    metrics?.writeSeconds.observe({ store: primary.name }, (performance.now() - t0) / 1000);
    metrics?.writes.inc({ store: primary.name, kind: op.kind, result: 'ok' });
    this.#stats.primaryOk++;
    dlq.primaryOk(seq);
    this.#startSecondary(seq, op);
    return result;
  }

  #startSecondary(seq: number, op: DlqOp): void {
    if (op.kind === 'delete') return void this.#o.dlq.done(seq); // a successor that is a delete: nothing to send
    if (this.#stats.secondaryInFlight >= this.#maxInFlight) return this.#leaveQueued(seq, op, 'secondarySkipped');
    // two writes of one key in flight could land in either order: this one follows the one in flight
    if (!this.#o.dlq.mayStart(seq)) return this.#leaveQueued(seq, op, 'secondaryDeferred');
    let probe = false;
    if (this.#stats.breaker !== 'closed') {
      if (this.#stats.breaker === 'half-open' || this.#now() < this.#openUntil) return this.#leaveQueued(seq, op, 'secondaryShed');
      this.#stats.breaker = 'half-open';
      probe = true;
    }
    this.#stats.secondaryInFlight++;
    const key = this.#o.dlq.keyOf(seq);
    const task = this.#secondaryWrite(seq, op, probe)
      .finally(() => {
        this.#stats.secondaryInFlight--;
        this.#settled.delete(task);
      })
      .then(() => this.#startSuccessor(seq, key));
    this.#settled.add(task);
  }

  /** A newer write of the key that waited for this one (deferred) goes now, not at the next replay round. */
  async #startSuccessor(seq: number, key: string | null): Promise<void> {
    if (key === null) return;
    const next = await this.#o.dlq.claimSuccessor(seq, key).catch(() => null);
    if (next !== null) this.#startSecondary(next.seq, next.op);
  }

  /** Leaves a write in the dead-letter queue untried, for the replayer. */
  #leaveQueued(seq: number, op: DlqOp, counter: 'secondarySkipped' | 'secondaryShed' | 'secondaryDeferred'): void {
    this.#o.dlq.release(seq);
    this.#stats[counter]++;
    this.#o.metrics?.writes.inc({ store: this.#o.secondary.name, kind: op.kind, result: 'dlq' });
  }

  /** Feeds the breaker with a secondary write's outcome (`failed`: a retriable failure; null: a refused write). */
  #outcome(failed: boolean | null, probe: boolean): void {
    if (this.#breaker === null || failed === null) {
      if (probe) this.#stats.breaker = 'open'; // a refused probe says nothing about availability: try another soon
      return;
    }
    if (!failed) {
      this.#consecutiveFailures = 0;
      if (probe || this.#stats.breaker !== 'closed') {
        this.#stats.breaker = 'closed';
        this.#openMs = this.#breaker.openMs;
      }
      return;
    }
    this.#consecutiveFailures++;
    if (probe) {
      this.#openMs = Math.min(this.#openMs * 2, this.#breaker.maxOpenMs);
      this.#open();
    } else if (this.#stats.breaker === 'closed' && this.#consecutiveFailures >= this.#breaker.failures) this.#open();
  }

  #open(): void {
    this.#stats.breaker = 'open';
    this.#stats.breakerOpened++;
    this.#openUntil = this.#now() + this.#openMs;
  }

  async #secondaryWrite(seq: number, op: WriteOp, probe = false): Promise<void> {
    const { dlq, metrics, secondary } = this.#o;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const t0 = performance.now();
    try {
      const result = op.kind === 'memory' ? await secondary.createMemory(op.memory, signal) : await secondary.createEdge(op.edge, signal);
      dlq.done(seq);
      metrics?.writeSeconds.observe({ store: secondary.name }, (performance.now() - t0) / 1000);
      const unsupported = result !== undefined && !result.stored;
      if (unsupported) this.#stats.secondaryUnsupported++;
      else this.#stats.secondaryOk++;
      this.#outcome(false, probe);
      metrics?.writes.inc({ store: secondary.name, kind: op.kind, result: unsupported ? 'unsupported' : 'ok' });
    } catch (raw) {
      const err =
        signal.aborted && !isRetriable(raw)
          ? Object.assign(new Error(`secondary write timed out after ${this.#timeoutMs} ms`), { code: 'ETIMEDOUT', cause: raw })
          : raw;
      dlq.failed(seq, err);
      this.#stats.secondaryFailed++;
      // a refused credential fails every write alike: it counts, as unavailability does
      this.#outcome(isRetriable(err) || (err as { code?: unknown }).code === 'TARGET_AUTH' ? true : null, probe);
      metrics?.writes.inc({ store: secondary.name, kind: op.kind, result: 'dlq' });
      this.#o.onSecondaryError?.(err, op);
    }
  }

  /** Waits for the secondary writes in flight (they end in the secondary or the dead-letter queue). */
  async settle(): Promise<void> {
    while (this.#settled.size > 0) await Promise.allSettled([...this.#settled]);
    await this.#o.dlq.flush();
  }

  getMemory(space: string, id: string, signal?: AbortSignal): Promise<StoredLiveMemory | null> {
    return this.#o.primary.getMemory(space, id, signal);
  }

  activate(query: ActivationQuery, signal?: AbortSignal): Promise<ActivationResult> {
    return this.#o.primary.activate(query, signal);
  }

  /** Settles in-flight secondary writes; the stores and the queue stay open (they are the caller's). */
  async close(): Promise<void> {
    await this.settle();
  }
}
