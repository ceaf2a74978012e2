import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrateError, errorMessage, isRetriable, mayStillLand } from '../../errors.js';
import { backoffDelay } from '../../engine/retry.js';
import { decodeOp, encodeOp, keyIdOf, opKey, type DlqEntrySummary, type DlqEntryState, type DlqEvent, type DlqOp } from './dlq-entry.js';
import { DLQ_FILES, DlqJournal, readJournalLines, type CompactionEvent, type JournalIo, type QuarantinedLine } from './dlq-journal.js';
import { acquireDlqLock, type DlqLockOptions } from './dlq-lock.js';
import { DlqState, type DlqEntry, type DlqStats } from './dlq-state.js';

export interface DeadLetterQueueOptions {
  /** Attempts (after the first live one) before a retriable failure parks an entry (default 50). */
  maxAttempts?: number;
  /** Backoff between attempts of one entry: base and cap, equal jitter (default 10 s and 5 min). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * How long a write the secondary was sent but never answered (a timeout, a connection broken after
   * sending, a crash of this process) may still be applied by the server (default 30 s). Such a write
   * can land after a newer version of its key and overwrite it: newer writes of that key that complete
   * within this window stay queued and are read back (and rewritten if overwritten) when it has passed.
   */
  strayWriteMs?: number;
  /** Compact once the journal passes this many bytes and is 4× the live entries (default 64 MiB). */
  compactAboveBytes?: number;
  now?: () => number;
  random?: () => number;
  /** Told when a journal compaction starts and ends (for logs and metrics). */
  onCompaction?: ((event: CompactionEvent) => void) | null;
  /** Heartbeat and staleness of the directory's lock (see {@link DlqLockOptions}). */
  lock?: DlqLockOptions;
  /** Replaces the journal's writes (fault injection in tests: a full disk). */
  io?: Partial<JournalIo>;
}

/** A claimed entry, handed to whoever writes it to the secondary. */
export interface ClaimedEntry {
  seq: number;
  op: DlqOp;
  attempts: number;
}

const NOOP = (): void => undefined;

/**
 * A durable dead-letter queue (transactional outbox) for the secondary store's writes. A write is logged
 * as an intent (fsynced, group-committed) before the primary write, marked ok or cancelled after it, and
 * done once the secondary has it. A kill -9 therefore loses nothing: after a restart, entries the primary
 * holds are retried; entries whose primary outcome is unknown are in doubt and resolved against the
 * primary. Writes are idempotent upserts, so the rare replay of a write the secondary already got is
 * harmless (at-least-once). One process owns a queue directory at a time (lock file).
 */
export class DeadLetterQueue {
  readonly dir: string;
  readonly #journal: DlqJournal;
  readonly #state: DlqState;
  readonly #release: () => Promise<void>;
  readonly #options: Required<DeadLetterQueueOptions>;
  #fencesSweptAt = 0;

  private constructor(dir: string, journal: DlqJournal, state: DlqState, release: () => Promise<void>, options: Required<DeadLetterQueueOptions>) {
    this.dir = dir;
    this.#journal = journal;
    this.#state = state;
    this.#release = release;
    this.#options = options;
    journal.setCompaction(
      () => state.snapshot(),
      (bytes) => bytes > options.compactAboveBytes && bytes > 4 * state.liveBytes,
      (gen, from, delta, newGen) => state.relocate(gen, from, delta, newGen),
    );
    journal.onCompaction = options.onCompaction;
  }

  /** Opens (creating) the queue in `dir`, taking its lock and recovering its state from the journal. */
  static async open(dir: string, options: DeadLetterQueueOptions = {}): Promise<DeadLetterQueue> {
    const resolved: Required<DeadLetterQueueOptions> = {
      maxAttempts: options.maxAttempts ?? 50,
      retryBaseMs: options.retryBaseMs ?? 10_000,
      retryMaxMs: options.retryMaxMs ?? 300_000,
      strayWriteMs: options.strayWriteMs ?? 30_000,
      compactAboveBytes: options.compactAboveBytes ?? 64 * 1024 * 1024,
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
      onCompaction: options.onCompaction ?? null,
      lock: options.lock ?? {},
      io: options.io ?? {},
    };
    await mkdir(dir, { recursive: true });
    let crashed = false; // the last owner died holding the queue (a clean close releases the lock)
    const release = await acquireDlqLock(dir, {
      ...resolved.lock,
      onTakeOver: (why) => {
        crashed = true;
        resolved.lock.onTakeOver?.(why);
      },
    });
    try {
      const state = new DlqState();
      const journal = await DlqJournal.open(dir, state.lineReader(join(dir, DLQ_FILES.journal)), { io: resolved.io, now: resolved.now });
      const queue = new DeadLetterQueue(dir, journal, state, release, resolved);
      if (journal.quarantined.length > 0) await journal.compactNow(); // the journal without the quarantined lines
      // the last owner died, maybe with writes of these keys on the wire: they can still land
      if (crashed) for (const x of state.entries.values()) queue.#fence(x.keyId);
      return queue;
    } catch (err) {
      await release();
      throw err;
    }
  }

  /** Reads a queue without taking its lock or writing (for `dlq status` while a service runs). */
  static async inspect(dir: string): Promise<{ stats: DlqStats; list: (state?: DlqEntryState, limit?: number) => DlqEntrySummary[] }> {
    const path = join(dir, DLQ_FILES.journal);
    const state = new DlqState();
    const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
    let bytes = 0;
    if (handle !== null) {
      try {
        const read = state.lineReader(path);
        bytes = await readJournalLines(handle, (line) => {
          try {
            read(line);
          } catch {
            // torn or to be quarantined: the owner decides when it opens the queue
          }
        });
      } finally {
        await handle.close();
      }
    }
    return { stats: state.stats(bytes), list: (s, limit) => listOf(state, s, limit) };
  }

  #log(event: DlqEvent): Promise<void> {
    return this.#journal.append(JSON.stringify(event));
  }

  /**
   * Logs a write before the primary gets it; resolves (durably) with its sequence number. From then on
   * the op lives in the journal only (the caller holds its own copy for the first attempt).
   */
  async recordIntent(op: DlqOp): Promise<number> {
    const seq = this.#state.maxSeq + 1;
    const opJson = encodeOp(op);
    const at = this.#options.now();
    const { key, space } = opKey(op);
    const entry = {
      seq,
      at,
      kind: op.kind,
      key,
      space,
      keyId: keyIdOf(op.kind, space, key),
      supersededBy: null,
      opJson,
      ref: null,
      bytes: opJson.length,
      state: 'intent' as const,
      attempts: 0,
      next: 0,
      error: null,
      reason: null,
      claim: 'live' as const,
      recheck: false,
    };
    this.#state.add(entry);
    const prefix = `{"e":"add","seq":${seq},"at":${at},"op":`;
    const durable = this.#journal.append({
      line: `${prefix}${opJson}}`,
      payloadStart: prefix.length,
      onWritten: (ref) => {
        const current = this.#state.entries.get(seq);
        if (current === undefined || current.opJson === null) return; // done or purged before its line was durable
        current.ref = ref;
        current.opJson = null;
      },
    });
    await durable.catch((err: unknown) => {
      this.#state.forget(seq); // never durable: the caller gets the error and the primary is not written
      throw err;
    });
    return seq;
  }

  /** Puts a write the primary already holds straight into the queue (durably), ready for the next retry round. */
  async enqueue(op: DlqOp, error: string | null = null): Promise<number> {
    const seq = await this.recordIntent(op);
    this.primaryOk(seq);
    const entry = this.#state.entries.get(seq)!;
    entry.claim = null;
    entry.error = error;
    await this.#journal.flush();
    return seq;
  }

  /**
   * The primary holds the write: the secondary must get it. The claim stays with the caller. Older
   * writes of the same key are superseded (the secondary must end with the primary's latest version,
   * and a replay of an older one after this one would overwrite it); one being written right now is
   * dropped when its attempt ends.
   */
  primaryOk(seq: number): void {
    this.#state.apply({ e: 'ok', seq });
    this.#log({ e: 'ok', seq }).catch(NOOP);
    const entry = this.#state.entries.get(seq);
    if (entry === undefined) return;
    for (const older of this.#state.sameKey(entry)) {
      if (older.seq > seq) continue;
      if (older.claim === null) this.#supersede(older.seq, seq);
      else older.supersededBy = seq;
    }
  }

  #supersede(seq: number, by: number): void {
    this.#state.apply({ e: 'supersede', seq, by });
    this.#log({ e: 'supersede', seq, by }).catch(NOOP);
  }

  /**
   * Whether the secondary write of `seq` may start now: not while another write of its key is being
   * written (two writes of one key in flight could land in either order).
   */
  mayStart(seq: number): boolean {
    const entry = this.#state.entries.get(seq);
    return entry === undefined || this.#state.sameKey(entry).every((x) => x.claim === null);
  }

  /**
   * After an attempt on `seq`'s key ended: claims the key's newest write when it is queued and due, so
   * the caller can write it at once instead of waiting for a replay round.
   */
  async claimSuccessor(seq: number, key: string): Promise<ClaimedEntry | null> {
    const newest = this.#state.newestOf(key); // after every secondary write: must not scan a queue grown by an outage
    if (newest === undefined || newest.seq === seq || newest.state !== 'pending' || newest.claim !== null || !this.mayStart(newest.seq)) return null;
    if (newest.recheck && newest.next > this.#options.now()) return null; // the replayer reads it back when it is due
    newest.claim = 'live';
    return (await this.#withOps([newest]))[0] ?? null;
  }

  /** The ordering key of an entry (null when it is gone). */
  keyOf(seq: number): string | null {
    return this.#state.entries.get(seq)?.keyId ?? null;
  }

  /** The primary refused the write: nothing for the secondary. */
  primaryFailed(seq: number): void {
    this.#state.apply({ e: 'cancel', seq });
    this.#log({ e: 'cancel', seq }).catch(NOOP);
  }

  /**
   * The secondary has the write. While a stray earlier attempt at its key may still land over it, the
   * entry stays queued, due when that can no longer happen, and is read back then (see `strayWriteMs`).
   */
  done(seq: number): void {
    const entry = this.#state.entries.get(seq);
    if (entry?.supersededBy != null) return this.#supersede(seq, entry.supersededBy);
    const until = entry === undefined || entry.kind === 'delete' ? 0 : this.#fenceOf(entry.keyId);
    if (until > 0) {
      const event: DlqEvent = { e: 'recheck', seq, next: until };
      this.#state.apply(event);
      this.#log(event).catch(NOOP);
      entry!.claim = null;
      return;
    }
    this.#state.apply({ e: 'done', seq });
    this.#log({ e: 'done', seq }).catch(NOOP);
  }

  /** Until when (ms) a stray attempt at `keyId` may still land; 0 when none can. */
  #fenceOf(keyId: string): number {
    const fences = this.#state.fences;
    const until = fences.get(keyId);
    if (until === undefined) return 0;
    if (until > this.#options.now()) return until;
    fences.delete(keyId);
    return 0;
  }

  /** A write of `keyId` may have been sent and not answered: it can land until `strayWriteMs` from now. */
  #fence(keyId: string): void {
    if (!(this.#options.strayWriteMs > 0)) return;
    const now = this.#options.now();
    const fences = this.#state.fences;
    fences.set(keyId, Math.max(fences.get(keyId) ?? 0, now + this.#options.strayWriteMs));
    if (fences.size > 1024 && now - this.#fencesSweptAt > this.#options.strayWriteMs) {
      this.#fencesSweptAt = now;
      for (const [key, until] of fences) if (until <= now) fences.delete(key);
    }
  }

  /** The caller gives its claim back without trying (e.g. too many secondary writes in flight): retry soon. */
  release(seq: number): void {
    const entry = this.#state.entries.get(seq);
    if (entry === undefined) return;
    entry.claim = null;
    if (entry.supersededBy !== null) this.#supersede(seq, entry.supersededBy);
  }

  /** An attempt failed: schedule the next with backoff and jitter, or park a poison entry with its reason. */
  failed(seq: number, err: unknown): 'retry' | 'parked' | 'superseded' {
    const entry = this.#state.entries.get(seq);
    if (entry === undefined) return 'retry';
    entry.claim = null;
    if (entry.kind !== 'delete' && mayStillLand(err)) this.#fence(entry.keyId);
    if (entry.supersededBy !== null) {
      this.#supersede(seq, entry.supersededBy);
      return 'superseded';
    }
    const attempts = entry.attempts + 1;
    const error = errorMessage(err).slice(0, 500);
    // A refused credential is the store's problem, not the entry's: never park the whole queue for it.
    const retriable = isRetriable(err) || (err as { code?: unknown }).code === 'TARGET_AUTH';
    if (!retriable || attempts >= this.#options.maxAttempts) {
      const reason = retriable ? `gave up after ${attempts} attempts: ${error}` : `not retriable: ${error}`;
      this.#state.apply({ e: 'fail', seq, attempts, next: 0, error });
      this.#state.apply({ e: 'park', seq, reason });
      this.#log({ e: 'fail', seq, attempts, next: 0, error }).catch(NOOP);
      this.#log({ e: 'park', seq, reason }).catch(NOOP);
      return 'parked';
    }
    const next =
      this.#options.now() + backoffDelay(attempts - 1, { baseMs: this.#options.retryBaseMs, maxMs: this.#options.retryMaxMs, random: this.#options.random });
    this.#state.apply({ e: 'fail', seq, attempts, next, error });
    this.#log({ e: 'fail', seq, attempts, next, error }).catch(NOOP);
    return 'retry';
  }

  /**
   * Claims up to `limit` queued entries due now (or due before `dueBy`), oldest first, for a replay
   * round: per key only the newest write, and none of a key another write of which is in flight. An
   * older write of a key whose newer one the primary holds (queued or parked) is superseded here.
   */
  claimReady(limit: number, dueBy = this.#options.now()): Promise<ClaimedEntry[]> {
    const claimed: DlqEntry[] = [];
    const now = this.#options.now();
    for (const x of this.#state.entries.values()) {
      if (claimed.length >= limit) break;
      // a recheck is due when stray writes can no longer land, even in a drain that replays everything
      if (x.state !== 'pending' || x.claim !== null || x.next > dueBy || (x.recheck && x.next > now)) continue;
      const others = this.#state.sameKey(x);
      const newer = others.filter((o) => o.seq > x.seq);
      if (newer.some((o) => o.state !== 'intent')) {
        this.#supersede(x.seq, newer.find((o) => o.state !== 'intent')!.seq);
        continue;
      }
      if (newer.length > 0 || others.some((o) => o.claim !== null)) continue; // a newer one in doubt, or one in flight: wait
      x.claim = 'replay';
      claimed.push(x);
    }
    return this.#withOps(claimed);
  }

  /** Claims up to `limit` in-doubt entries (intent logged, primary outcome lost in a crash). */
  claimInDoubt(limit: number): Promise<ClaimedEntry[]> {
    const claimed: DlqEntry[] = [];
    for (const x of this.#state.entries.values()) {
      if (claimed.length >= limit) break;
      if (x.state !== 'intent' || x.claim !== null) continue;
      x.claim = 'replay';
      claimed.push(x);
    }
    return this.#withOps(claimed);
  }

  /**
   * Reads the claimed entries' ops back from the journal. An op that cannot be read or decoded (a damaged
   * journal) parks its entry with the reason instead of stopping the queue.
   */
  async #withOps(claimed: DlqEntry[]): Promise<ClaimedEntry[]> {
    const ops = await Promise.all(claimed.map((x) => this.#readOp(x.seq).catch((err: unknown) => err as Error)));
    const out: ClaimedEntry[] = [];
    claimed.forEach((x, i) => {
      const op = ops[i];
      if (op === null) return; // dropped while it was read (purge)
      if (op instanceof Error) {
        const park: DlqEvent = { e: 'park', seq: x.seq, reason: `journal entry unreadable: ${errorMessage(op)}` };
        this.#state.apply(park);
        this.#log(park).catch(NOOP);
        x.claim = null;
        return;
      }
      out.push({ seq: x.seq, op: op as DlqOp, attempts: x.attempts });
    });
    return out;
  }

  async #readOp(seq: number): Promise<DlqOp | null> {
    const inMemory = this.#state.entries.get(seq)?.opJson;
    const json = inMemory ?? (await this.#journal.readPayload(() => this.#state.entries.get(seq)?.ref ?? null));
    if (json === null || json === undefined) {
      if (!this.#state.entries.has(seq)) return null;
      throw new MigrateError('DLQ_IO', `entry ${seq} has no op in memory or in the journal`);
    }
    return decodeOp(JSON.parse(json));
  }

  /** Settles an in-doubt entry: the primary has it (queue it for the secondary) or not (drop it). */
  resolveInDoubt(seq: number, primaryHasIt: boolean): void {
    if (!primaryHasIt) return this.primaryFailed(seq);
    this.primaryOk(seq);
    this.release(seq);
  }

  /** Parked entries back to the queue with fresh attempts; returns how many. */
  unpark(): number {
    let count = 0;
    for (const x of this.#state.entries.values()) {
      if (x.state !== 'parked') continue;
      this.#state.apply({ e: 'unpark', seq: x.seq });
      this.#log({ e: 'unpark', seq: x.seq }).catch(NOOP);
      count++;
    }
    return count;
  }

  /** Drops parked entries (or every unclaimed entry with `all`), then compacts; returns how many. */
  async purge(which: 'parked' | 'all'): Promise<number> {
    const victims = [...this.#state.entries.values()].filter((x) => x.claim === null && (which === 'all' || x.state === 'parked'));
    for (const x of victims) this.#state.apply({ e: 'done', seq: x.seq });
    await this.#journal.compactNow();
    return victims.length;
  }

  /** Unreadable journal lines moved to `journal.quarantine.ndjson` when the queue was opened. */
  get quarantined(): readonly QuarantinedLine[] {
    return this.#journal.quarantined;
  }

  stats(): DlqStats {
    return this.#state.stats(this.#journal.size);
  }

  list(state?: DlqEntryState, limit = 100): DlqEntrySummary[] {
    return listOf(this.#state, state, limit);
  }

  /** Resolves once every logged event is on stable storage. */
  flush(): Promise<void> {
    return this.#journal.flush();
  }

  /** Closes the journal (the fences that still hold are written to it for the next owner) and releases the lock. */
  async close(): Promise<void> {
    const now = this.#options.now();
    for (const [key, until] of this.#state.fences) if (until > now) this.#log({ e: 'fence', seq: 0, key, until }).catch(NOOP);
    await this.#journal.close();
    await this.#release();
  }
}

function listOf(state: DlqState, which: DlqEntryState | undefined, limit = 100): DlqEntrySummary[] {
  const out: DlqEntrySummary[] = [];
  for (const x of state.entries.values()) {
    if (out.length >= limit) break;
    if (which === undefined || x.state === which) out.push(state.summary(x));
  }
  return out;
}
