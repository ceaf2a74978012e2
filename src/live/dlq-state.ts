import { MigrateError } from '../errors.js';
import { decodeOp, opKey, type DlqEntryState, type DlqEntrySummary, type DlqEvent, type DlqOp } from './dlq-entry.js';

/** Who is working on an entry right now: the dual writer's first attempt, or the replayer. */
export type DlqClaim = 'live' | 'replay' | null;

export interface DlqEntry {
  seq: number;
  at: number;
  /** The op as journal JSON (kept encoded: compact in memory and ready for snapshots). */
  opJson: string;
  state: DlqEntryState;
  attempts: number;
  next: number;
  error: string | null;
  reason: string | null;
  claim: DlqClaim;
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
  /** inDoubt + queued + replays in flight: the dead-letter depth. */
  depth: number;
  oldestQueuedAt: string | null;
  journalBytes: number;
}

/**
 * The dead-letter queue's in-memory state, rebuilt from journal events (in order) and able to write
 * itself out as a snapshot. Pure: no I/O.
 */
export class DlqState {
  readonly entries = new Map<number, DlqEntry>();
  maxSeq = 0;
  /** Approximate journal bytes of the live entries (drives compaction). */
  liveBytes = 0;

  #remove(seq: number): void {
    const entry = this.entries.get(seq);
    if (entry === undefined) return;
    this.liveBytes -= entry.opJson.length + 160;
    this.entries.delete(seq);
  }

  add(entry: DlqEntry): void {
    this.entries.set(entry.seq, entry);
    this.liveBytes += entry.opJson.length + 160;
    this.maxSeq = Math.max(this.maxSeq, entry.seq);
  }

  /** Applies one journal event (replay at open, or live as it is logged). */
  apply(event: DlqEvent, rawOp?: string): void {
    this.maxSeq = Math.max(this.maxSeq, event.seq);
    if (event.e === 'add' || event.e === 'snap') {
      const opJson = rawOp ?? JSON.stringify(event.op);
      const snap = event.e === 'snap' ? event : null;
      this.add({ seq: event.seq, at: event.at, opJson, state: snap?.state ?? 'intent', attempts: snap?.attempts ?? 0, next: snap?.next ?? 0, error: snap?.error ?? null, reason: snap?.reason ?? null, claim: null });
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
      case 'fail':
        entry.attempts = event.attempts;
        entry.next = event.next;
        entry.error = event.error;
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

  /** Rebuilds the state from journal lines; a line that does not parse is corruption (only the tail can be torn). */
  static fromLines(lines: string[], path: string): DlqState {
    const state = new DlqState();
    lines.forEach((line, i) => {
      let event: DlqEvent;
      try {
        event = JSON.parse(line) as DlqEvent;
      } catch (cause) {
        throw new MigrateError('DLQ_IO', `${path}:${i + 1}: not a journal line (${line.slice(0, 80)})`, { cause });
      }
      state.apply(event);
    });
    return state;
  }

  /** Lines that recreate this state in a fresh journal (compaction). */
  snapshotLines(): string[] {
    const lines = [JSON.stringify({ e: 'mark', seq: this.maxSeq })];
    for (const x of this.entries.values()) {
      lines.push(`{"e":"snap","seq":${x.seq},"at":${x.at},"state":"${x.state}","attempts":${x.attempts},"next":${x.next},"error":${JSON.stringify(x.error)},"reason":${JSON.stringify(x.reason)},"op":${x.opJson}}`);
    }
    return lines;
  }

  stats(journalBytes: number): DlqStats {
    let inDoubt = 0;
    let queued = 0;
    let inFlight = 0;
    let parked = 0;
    let replaying = 0;
    let oldest: number | null = null;
    for (const x of this.entries.values()) {
      if (x.claim !== null) inFlight++;
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
      depth: inDoubt + queued + replaying,
      oldestQueuedAt: oldest === null ? null : new Date(oldest).toISOString(),
      journalBytes,
    };
  }

  summary(x: DlqEntry): DlqEntrySummary {
    const op = decodeOp(JSON.parse(x.opJson));
    const { key, space } = opKey(op);
    return {
      seq: x.seq,
      state: x.state,
      kind: op.kind,
      key,
      space,
      attempts: x.attempts,
      enqueuedAt: new Date(x.at).toISOString(),
      nextAttemptAt: x.state === 'pending' ? new Date(x.next).toISOString() : null,
      lastError: x.error,
      reason: x.reason,
    };
  }

  /** Decoded op of an entry. */
  op(x: DlqEntry): DlqOp {
    return decodeOp(JSON.parse(x.opJson));
  }
}
