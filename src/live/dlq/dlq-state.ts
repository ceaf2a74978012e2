import { MigrateError } from '../../errors.js';
import { keyIdOf, opIdentity, type DlqEntryState, type DlqEntrySummary, type DlqEvent } from './dlq-entry.js';
import type { PayloadRef, ReadLine, SnapshotItem } from './dlq-journal.js';
import { COMMIT_LINE } from './dlq-recovery.js';

const EVENTS = new Set(['add', 'ok', 'cancel', 'done', 'unpark', 'mark', 'fail', 'park', 'snap', 'supersede', 'recheck', 'fence']);

/** Who is working on an entry right now: the dual writer's first attempt, or the replayer. */
export type DlqClaim = 'live' | 'replay' | null;

export interface DlqEntry {
  seq: number;
  at: number;
  kind: 'memory' | 'edge' | 'delete';
  /** Memory id, or `source-[TYPE]->target` for an edge; and the space (for lists without reading the journal). */
  key: string;
  space: string | null;
  /** kind, space and key together: writes of one key are replayed newest only. */
  keyId: string;
  /** A newer write of the key reached the primary while this one was claimed: drop it when its attempt ends. */
  supersededBy: number | null;
  /** The op as journal JSON until its line is durable; then null, and the op is read back from `ref`. */
  opJson: string | null;
  /** Where the op's JSON is in the journal (null until written). */
  ref: PayloadRef | null;
  /** Journal bytes of the op (drives compaction). */
  bytes: number;
  state: DlqEntryState;
  attempts: number;
  next: number;
  error: string | null;
  reason: string | null;
  claim: DlqClaim;
  /** The secondary has it; read it back once more at `next` (an earlier attempt at its key may still land). */
  recheck: boolean;
}

/** Counts of a queue. `depth` is what waits for the secondary outside a first live attempt. */
export interface DlqStats {
  entries: number;
  /** Primary outcome unknown and nobody is writing it: left by a crash, resolved against the primary. */
  inDoubt: number;
  /** Held by the primary, waiting for a retry. */
  queued: number;
  /** Being written right now (first live attempt or a replay). */
  inFlight: number;
  parked: number;
  /** Entries dropped since the queue was opened because a newer write of their key reached the primary. */
  superseded: number;
  /**
   * Of `queued`: writes the secondary has, to be read back once more when a stray earlier attempt at their
   * key can no longer land (see `strayWriteMs`).
   */
  rechecks: number;
  /** inDoubt + queued + replays in flight: the dead-letter depth. */
  depth: number;
  oldestQueuedAt: string | null;
  journalBytes: number;
}

/**
 * The dead-letter queue's in-memory state, rebuilt from journal events (in order) and able to write
 * itself out as a snapshot. Pure: no I/O. An entry holds its metadata and the place of its op in the
 * journal, not the op (~4.5 KB for a 768-d memory): a million queued writes cost ~0.3 GB of memory here
 * instead of ~5 GB.
 */
export class DlqState {
  readonly entries = new Map<number, DlqEntry>();
  maxSeq = 0;
  /** Approximate journal bytes of the live entries (drives compaction). */
  liveBytes = 0;
  /** Entries superseded since open. */
  superseded = 0;
  /** Key id → until when (ms) a stray write of it may still land; expired ones are swept by the queue. */
  readonly fences = new Map<string, number>();
  /** Live entries per key, by sequence. */
  readonly #byKey = new Map<string, Set<number>>();

  #remove(seq: number): void {
    const entry = this.entries.get(seq);
    if (entry === undefined) return;
    this.liveBytes -= entry.bytes + 160;
    this.entries.delete(seq);
    const seqs = this.#byKey.get(entry.keyId);
    seqs?.delete(seq);
    if (seqs?.size === 0) this.#byKey.delete(entry.keyId);
  }

  add(entry: DlqEntry): void {
    const previous = this.entries.get(entry.seq);
    if (previous !== undefined) this.#remove(entry.seq);
    this.entries.set(entry.seq, entry);
    this.liveBytes += entry.bytes + 160;
    this.maxSeq = Math.max(this.maxSeq, entry.seq);
    const seqs = this.#byKey.get(entry.keyId) ?? new Set<number>();
    seqs.add(entry.seq);
    this.#byKey.set(entry.keyId, seqs);
  }

  /** The newest live entry of a key (by the index: no scan of the queue). */
  newestOf(keyId: string): DlqEntry | undefined {
    let newest = -1;
    for (const seq of this.#byKey.get(keyId) ?? []) newest = Math.max(newest, seq);
    return newest < 0 ? undefined : this.entries.get(newest);
  }

  /** The other live entries of `entry`'s key, oldest first. */
  sameKey(entry: DlqEntry): DlqEntry[] {
    const out: DlqEntry[] = [];
    for (const seq of this.#byKey.get(entry.keyId) ?? []) if (seq !== entry.seq) out.push(this.entries.get(seq)!);
    return out.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Applies one journal event (replay at open, or live as it is logged). An `add` or `snap` read from the
   * journal comes with `ref`, the place of its op in the file.
   */
  apply(event: DlqEvent, ref: PayloadRef | null = null): void {
    this.maxSeq = Math.max(this.maxSeq, event.seq);
    if (event.e === 'fence') {
      this.fences.set(event.key, Math.max(this.fences.get(event.key) ?? 0, event.until));
      return;
    }
    if (event.e === 'add' || event.e === 'snap') {
      const snap = event.e === 'snap' ? event : null;
      const { kind, key, space } = opIdentity(event.op);
      this.add({
        seq: event.seq,
        at: event.at,
        kind,
        key,
        space,
        keyId: keyIdOf(kind, space, key),
        supersededBy: null,
        opJson: null,
        ref,
        bytes: ref?.length ?? 0,
        state: snap?.state ?? 'intent',
        attempts: snap?.attempts ?? 0,
        next: snap?.next ?? 0,
        error: snap?.error ?? null,
        reason: snap?.reason ?? null,
        claim: null,
        recheck: snap?.recheck === true,
      });
      return;
    }
    const entry = this.entries.get(event.seq);
    if (entry === undefined) return;
    switch (event.e) {
      case 'ok':
        entry.state = 'pending';
        break;
      case 'cancel':
      case 'done':
        this.#remove(event.seq);
        break;
      case 'supersede':
        this.#remove(event.seq);
        this.superseded++;
        break;
      case 'fail':
        entry.attempts = event.attempts;
        entry.next = event.next;
        entry.error = event.error;
        entry.recheck = false;
        break;
      case 'recheck':
        entry.state = 'pending';
        entry.next = event.next;
        entry.recheck = true;
        break;
      case 'park':
        entry.state = 'parked';
        entry.reason = event.reason;
        break;
      case 'unpark':
        entry.state = 'pending';
        entry.attempts = 0;
        entry.next = 0;
        entry.reason = null;
        break;
      default:
        break;
    }
  }

  /**
   * A reader for journal lines in order (see `readJournalLines`). It throws, before changing anything,
   * for a line that is not a journal event: the journal decides whether that is a torn write or a line to
   * quarantine. Commit lines are skipped.
   */
  lineReader(path: string): (line: ReadLine) => void {
    return ({ text, payload, offset }) => {
      if (text === COMMIT_LINE) return;
      let event: DlqEvent;
      try {
        event = JSON.parse(text) as DlqEvent;
      } catch (cause) {
        throw new MigrateError('DLQ_IO', `${path}@${offset}: not a journal line (${text.slice(0, 80)})`, { cause });
      }
      if (typeof event !== 'object' || event === null || !EVENTS.has(event.e) || !Number.isSafeInteger(event.seq)) {
        throw new MigrateError('DLQ_IO', `${path}@${offset}: not a journal event (${text.slice(0, 80)})`);
      }
      if ((event.e === 'add' || event.e === 'snap') && payload === null)
        throw new MigrateError('DLQ_IO', `${path}@${offset}: a ${event.e} line without its op at the end`);
      this.apply(event, payload);
    };
  }

  /** Forgets an entry whose intent never became durable (its append failed). */
  forget(seq: number): void {
    this.#remove(seq);
  }

  /** Moves the payload references of file generation `gen` at or after byte `from` by `delta` into `newGen`. */
  relocate(gen: number, from: number, delta: number, newGen: number): void {
    for (const x of this.entries.values()) {
      if (x.ref !== null && x.ref.gen === gen && x.ref.offset >= from) x.ref = { gen: newGen, offset: x.ref.offset + delta, length: x.ref.length };
    }
  }

  /** What recreates this state in a fresh journal (compaction): a mark, the fences, then each live entry with its op. */
  snapshot(): SnapshotItem[] {
    const items: SnapshotItem[] = [{ line: JSON.stringify({ e: 'mark', seq: this.maxSeq }) }];
    for (const [key, until] of this.fences) items.push({ line: JSON.stringify({ e: 'fence', seq: 0, key, until }) });
    for (const x of this.entries.values()) {
      items.push({
        prefix: `{"e":"snap","seq":${x.seq},"at":${x.at},"state":"${x.state}","attempts":${x.attempts},"next":${x.next},"error":${JSON.stringify(x.error)},"reason":${JSON.stringify(x.reason)},${x.recheck ? '"recheck":true,' : ''}"op":`,
        payload: x.opJson,
        ref: x.ref,
        onWritten: (ref) => {
          x.ref = ref;
          x.opJson = null;
        },
      });
    }
    return items;
  }

  stats(journalBytes: number): DlqStats {
    let inDoubt = 0;
    let queued = 0;
    let inFlight = 0;
    let parked = 0;
    let replaying = 0;
    let rechecks = 0;
    let oldest: number | null = null;
    for (const x of this.entries.values()) {
      if (x.claim !== null) inFlight++;
      if (x.claim === null && x.recheck) rechecks++;
      if (x.claim === 'replay') replaying++;
      if (x.state === 'parked') parked++;
      else if (x.claim === null && x.state === 'intent') inDoubt++;
      else if (x.claim === null) queued++;
      if (x.state !== 'parked' && x.claim !== 'live' && (oldest === null || x.at < oldest)) oldest = x.at;
    }
    return {
      entries: this.entries.size,
      inDoubt,
      queued,
      inFlight,
      parked,
      superseded: this.superseded,
      rechecks,
      depth: inDoubt + queued + replaying,
      oldestQueuedAt: oldest === null ? null : new Date(oldest).toISOString(),
      journalBytes,
    };
  }

  summary(x: DlqEntry): DlqEntrySummary {
    return {
      seq: x.seq,
      state: x.state,
      kind: x.kind,
      key: x.key,
      space: x.space,
      attempts: x.attempts,
      enqueuedAt: new Date(x.at).toISOString(),
      nextAttemptAt: x.state === 'pending' ? new Date(x.next).toISOString() : null,
      lastError: x.error,
      reason: x.reason,
      recheck: x.recheck,
    };
  }
}
