import { isRetriable } from '../../errors.js';
import type { ClaimedEntry, DeadLetterQueue } from './dead-letter-queue.js';
import { readVersions, sameVersion, type GraphDatabase } from '../graph-database.js';
import type { LiveMetrics } from '../live-metrics.js';
import { WriteLimiter } from '../../engine/write-limiter.js';

export interface DlqReplayerOptions {
  dlq: DeadLetterQueue;
  secondary: GraphDatabase;
  /**
   * The primary, asked whether it holds an in-doubt write (intent logged, outcome lost in a crash).
   * Without it in-doubt writes are replayed as if the primary had them.
   */
  primary?: GraphDatabase | null;
  /** Time between rounds (default 10 s, as in the article). */
  intervalMs?: number;
  /** Writes in flight during a round (default 16). */
  concurrency?: number;
  /** Longest time one attempt may take (default 10 s). */
  attemptTimeoutMs?: number;
  /**
   * Replays per second at most (token bucket; default 0 = as fast as `concurrency` allows). After an
   * outage the drain competes with the primary's writes for the service's CPU; a limit trades drain time
   * for the primary's latency.
   */
  ratePerSecond?: number;
  metrics?: LiveMetrics | null;
  /** Called after each round that did something. */
  onRound?: (round: ReplayRound) => void;
}

/** What one round did. */
export interface ReplayRound {
  inDoubtKept: number;
  /** In doubt and dropped: the primary does not hold the record, or holds another version of it. */
  inDoubtDropped: number;
  replayed: number;
  retry: number;
  parked: number;
  /** A newer write of the key reached the primary while this one was replayed: dropped. */
  superseded: number;
  /** A whole batch failed with retriable errors: the secondary looks down, the rest waits for the next round. */
  stoppedEarly: boolean;
}

/**
 * The dead-letter retry loop: every `intervalMs`, settle in-doubt entries against the primary, then
 * replay due entries to the secondary with bounded concurrency. Each entry backs off on its own (equal
 * jitter, see {@link DeadLetterQueue.failed}); a batch that fails entirely ends the round, so an outage
 * costs a few probes per round instead of an attempt for every queued write.
 */
export class DlqReplayer {
  readonly #o: Required<Omit<DlqReplayerOptions, 'primary' | 'metrics' | 'onRound'>> & Pick<DlqReplayerOptions, 'primary' | 'metrics' | 'onRound'>;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<ReplayRound> | null = null;
  #stopped = true;
  /** The replay rate's token bucket, while rounds run (its refill timer would keep a process alive). */
  #limiter: WriteLimiter | null = null;

  constructor(options: DlqReplayerOptions) {
    this.#o = { intervalMs: 10_000, concurrency: 16, attemptTimeoutMs: 10_000, ratePerSecond: 0, ...options };
  }

  /** Starts the periodic rounds (the first after one interval). */
  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.runRound()
        .catch(() => undefined)
        .finally(() => this.#schedule());
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Stops the loop and waits for a round in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
    await this.#stopLimiter();
  }

  async #stopLimiter(): Promise<void> {
    const limiter = this.#limiter;
    this.#limiter = null;
    await limiter?.stop();
  }

  /** Waits for `n` replay tokens when a rate is set. */
  async #acquire(n: number): Promise<void> {
    if (!(this.#o.ratePerSecond > 0)) return;
    this.#limiter ??= new WriteLimiter({ rate: this.#o.ratePerSecond, concurrency: 0 });
    await this.#limiter.schedule(n, async () => undefined);
  }

  /** One round now (rounds never overlap). `all`: replay every queued entry, due or not. */
  runRound(options: { all?: boolean } = {}): Promise<ReplayRound> {
    if (this.#running !== null) return this.#running;
    this.#running = this.#round(options.all === true).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Rounds until the queue holds only parked entries, or `timeoutMs` passes; returns the final depth. */
  async drain(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        await this.runRound({ all: true });
        const { depth } = this.#o.dlq.stats();
        if (depth === 0 || Date.now() > deadline) return depth;
        await new Promise((r) => setTimeout(r, Math.min(1000, this.#o.intervalMs)));
      }
    } finally {
      if (this.#stopped) await this.#stopLimiter();
    }
  }

  async #round(all: boolean): Promise<ReplayRound> {
    const round: ReplayRound = { inDoubtKept: 0, inDoubtDropped: 0, replayed: 0, retry: 0, parked: 0, superseded: 0, stoppedEarly: false };
    await this.#settleInDoubt(round);
    const dueBy = all ? Number.POSITIVE_INFINITY : undefined;
    for (;;) {
      const batch = await this.#o.dlq.claimReady(this.#o.concurrency, dueBy);
      if (batch.length === 0) break;
      await this.#acquire(batch.length);
      const results = await Promise.all(batch.map((entry) => this.#replay(entry)));
      for (const r of results) round[r]++;
      if (results.every((r) => r === 'retry')) {
        round.stoppedEarly = true;
        break;
      }
    }
    if (round.replayed + round.retry + round.parked + round.superseded + round.inDoubtKept + round.inDoubtDropped > 0) this.#o.onRound?.(round);
    return round;
  }

  async #settleInDoubt(round: ReplayRound): Promise<void> {
    const { dlq, metrics } = this.#o;
    for (;;) {
      const batch = await dlq.claimInDoubt(500);
      if (batch.length === 0) return;
      let held: Set<number>;
      try {
        held = await this.#primaryHolds(batch);
      } catch {
        for (const entry of batch) dlq.release(entry.seq);
        return; // the primary cannot answer now: next round
      }
      for (const entry of batch) {
        const has = held.has(entry.seq);
        dlq.resolveInDoubt(entry.seq, has);
        metrics?.dlqReplays.inc({ result: has ? 'in-doubt-kept' : 'dropped' });
        if (has) round.inDoubtKept++;
        else round.inDoubtDropped++;
      }
    }
  }

  /**
   * Sequence numbers of the entries whose version the primary holds now. Existence is not enough: an
   * intent whose primary write never happened finds the previous version there, and one overwritten
   * since finds a newer one; replaying either would leave the secondary with a version the primary
   * does not have. One bulk read per space when the primary offers one.
   */
  async #primaryHolds(batch: ClaimedEntry[]): Promise<Set<number>> {
    const primary = this.#o.primary;
    const held = new Set<number>();
    const bySpace = new Map<string, Array<ClaimedEntry & { op: { kind: 'memory' } }>>();
    for (const entry of batch) {
      if (entry.op.kind === 'delete') continue; // nothing to send either way: Engram cannot delete, the primary keeps the tombstone
      // edges, and everything when no primary was given, are replayed (idempotent upserts: at-least-once)
      if (primary === null || primary === undefined || entry.op.kind === 'edge') held.add(entry.seq);
      else bySpace.set(entry.op.memory.space, [...(bySpace.get(entry.op.memory.space) ?? []), entry as ClaimedEntry & { op: { kind: 'memory' } }]);
    }
    for (const [space, entries] of bySpace) {
      const signal = AbortSignal.timeout(this.#o.attemptTimeoutMs);
      const ids = [...new Set(entries.map((e) => e.op.memory.id))];
      const found = await readVersions(primary!, space, ids, this.#o.concurrency, signal);
      for (const e of entries) if (sameVersion(found.get(e.op.memory.id) ?? null, e.op.memory)) held.add(e.seq);
    }
    return held;
  }

  async #replay(entry: ClaimedEntry): Promise<'replayed' | 'retry' | 'parked' | 'superseded'> {
    const { dlq, secondary, metrics } = this.#o;
    const signal = AbortSignal.timeout(this.#o.attemptTimeoutMs);
    try {
      if (entry.op.kind === 'memory') await secondary.createMemory(entry.op.memory, signal);
      else if (entry.op.kind === 'edge') await secondary.createEdge(entry.op.edge, signal);
      // a delete left pending by a crash: its only job (superseding the key's older writes) is done
      dlq.done(entry.seq);
      metrics?.dlqReplays.inc({ result: 'ok' });
      return 'replayed';
    } catch (err) {
      const outcome = dlq.failed(
        entry.seq,
        signal.aborted && !isRetriable(err) ? Object.assign(new Error(`timed out after ${this.#o.attemptTimeoutMs} ms`), { code: 'ETIMEDOUT' }) : err,
      );
      metrics?.dlqReplays.inc({ result: outcome });
      return outcome;
    }
  }
}
