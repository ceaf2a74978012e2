import { constants } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrateError, errorMessage } from '../../errors.js';
import { readRaw, syncDirectory, writeAll, type PayloadRef, type ReadLine } from './dlq-journal-io.js';
import { COMMIT_LINE, recoverJournal, writeQuarantine, type QuarantinedLine } from './dlq-recovery.js';

export { readJournalLines, syncDirectory, type PayloadRef, type ReadLine } from './dlq-journal-io.js';
export type { QuarantinedLine } from './dlq-recovery.js';

const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;
const COMMIT_BYTES = Buffer.from(`${COMMIT_LINE}\n`);

/** The journal's writes, replaceable to inject faults (a full disk) in tests. */
export interface JournalIo {
  write(handle: FileHandle, data: Buffer): Promise<void>;
  datasync(handle: FileHandle): Promise<void>;
}

const REAL_IO: JournalIo = { write: writeAll, datasync: (h) => h.datasync() };

export interface DlqJournalOptions {
  io?: Partial<JournalIo>;
  now?: () => number;
}

/** File names inside a dead-letter-queue directory. */
export const DLQ_FILES = {
  journal: 'journal.ndjson',
  lock: 'dlq.lock',
  compacting: 'journal.ndjson.compact',
  quarantine: 'journal.quarantine.ndjson',
} as const;

/**
 * A line to append. A line with a payload ends with `"op":<payload>}` and says where the payload starts
 * (`payloadStart`: its index in `line`, after an ASCII prefix); once the line is durable `onWritten` gets
 * the payload's place in the file, and the caller can drop its copy and read it back from there.
 */
export interface JournalLine {
  line: string;
  payloadStart?: number;
  onWritten?: (ref: PayloadRef) => void;
}

/**
 * A compaction snapshot: lines without payload (`line`) and lines that carry one (`prefix` + payload +
 * `}`). The payload comes from memory (`payload`) or is copied from the current file (`ref`).
 */
export type SnapshotItem = { line: string } | { prefix: string; payload: string | null; ref: PayloadRef | null; onWritten: (ref: PayloadRef) => void };

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** What a compaction did: `started` (snapshot taken), then `swapped` (new file in place) or `failed`. */
export interface CompactionEvent {
  phase: 'started' | 'swapped' | 'failed';
  /** Journal bytes: before (started) or after (swapped, failed). */
  journalBytes: number;
  /** Since the start (0 for started). */
  ms: number;
  error?: unknown;
}

/** A compaction under way: the snapshot is written beside the journal while appends go on. */
interface Compaction {
  side: string;
  /** Journal bytes when the snapshot was taken: lines from here on are copied after the snapshot. */
  tailFrom: number;
  gen: number;
  /** Resolves with the snapshot's size and the payloads it placed, once it is written and synced. */
  written: Promise<{ out: FileHandle; size: number; moved: Array<[(ref: PayloadRef) => void, PayloadRef]> }>;
  /** The snapshot is written and synced: the swap can happen at the next flush. */
  ready: boolean;
  startedAt: number;
  /** Rewrites the journal after failed writes lost lines: flushes wait for it. */
  repair: boolean;
  done: Promise<void>;
  finish: (err?: unknown) => void;
}

/**
 * The dead-letter queue's append-only NDJSON journal. Appends are group-committed: one `write` +
 * `fdatasync` covers every line queued while the previous flush ran, so durability costs one sync per
 * flush, not per line. Payloads (the writes' data) live only here once durable: the queue keeps their
 * place and reads them back when it needs them, so a queue that grows through a long outage costs disk,
 * not memory.
 *
 * Compaction runs beside the appends: a snapshot of the live entries (payloads copied from the journal)
 * is written and synced into a side file while lines keep going to the journal; then, between two
 * flushes, the lines appended meanwhile are copied after it, the side file is synced and renamed over the
 * journal (atomic on POSIX), and every payload reference moves. Appends wait only for that last step (a
 * snapshot of 8,000 queued writes blocked them for 0.8 s when it was written in line). A kill -9 at any
 * point leaves either the old or the new journal, never a mix; events in the copied tail that the snapshot
 * already holds apply again harmlessly (each sets absolute state).
 *
 * Every group commit ends with a commit line. When reopened, an unreadable line of the last group (no
 * commit line after it: a write cut by a crash, acknowledged to nobody) is torn and cut off with the rest
 * of its group; an unreadable line elsewhere is quarantined (copied with its reason to
 * `journal.quarantine.ndjson`, see {@link DlqJournal.quarantined}) and the queue opens.
 *
 * A failed write (ENOSPC, EIO) fails the appends of its group commit, not the journal: the next group
 * first cuts the file back to its last good size, and once a write succeeds again a compaction rewrites
 * the journal from the live state, restoring the events whose lines were lost meanwhile.
 */
export class DlqJournal {
  readonly dir: string;
  readonly path: string;
  #handle: FileHandle | null = null;
  #size = 0;
  /** Generation of the file: payload references carry it, and a compaction moves the old generation's. */
  #gen = 0;
  #buffer: JournalLine[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | null = null;
  #snapshot: (() => SnapshotItem[]) | null = null;
  #shouldCompact: (fileBytes: number) => boolean = () => false;
  #relocate: (gen: number, from: number, delta: number, newGen: number) => void = () => undefined;
  /** Told when a compaction starts, and when it swapped the files or gave up. */
  onCompaction: ((event: CompactionEvent) => void) | null = null;
  /** The last group commit failed (null once one succeeds again): the file may end with part of it. */
  #failed: unknown = null;
  /** Lines were lost by failed writes: rewrite the journal from the live state once writes succeed. */
  #repair = false;
  readonly #io: JournalIo;
  readonly #now: () => number;
  /** Unreadable committed lines found when the journal was opened (copied to the quarantine file). */
  quarantined: QuarantinedLine[] = [];
  /** Unreadable lines of a torn last group commit, dropped when the journal was opened. */
  tornLines = 0;
  #compaction: Compaction | null = null;
  /** Set while a compaction swaps the files: payload reads wait for it. */
  #swapping: Promise<void> | null = null;
  #readers = 0;
  #readersIdle: (() => void) | null = null;
  /** Closes of files replaced by compactions, still running. */
  #retired: Promise<void> = Promise.resolve();

  private constructor(dir: string, options: DlqJournalOptions) {
    this.dir = dir;
    this.path = join(dir, DLQ_FILES.journal);
    this.#io = { ...REAL_IO, ...options.io };
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens the journal in `dir` (created if missing), handing every complete line to `onLine` in order
   * (`onLine` throws for a line it cannot read); a torn tail is removed, unreadable committed lines are
   * quarantined. A leftover compaction side file (crash before the rename) is discarded.
   */
  static async open(dir: string, onLine: (line: ReadLine) => void, options: DlqJournalOptions = {}): Promise<DlqJournal> {
    const journal = new DlqJournal(dir, options);
    await mkdir(dir, { recursive: true });
    await rm(join(dir, DLQ_FILES.compacting), { force: true });
    const handle = await open(journal.path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND).catch((err: unknown) => {
      throw new MigrateError('DLQ_IO', `cannot open ${journal.path}: ${errorMessage(err)}`, { cause: err });
    });
    try {
      const recovery = await recoverJournal(handle, onLine);
      const { size } = await handle.stat();
      if (recovery.keepBytes < size) await handle.truncate(recovery.keepBytes); // torn tail of a write cut by a crash
      journal.#size = recovery.keepBytes;
      journal.tornLines = recovery.tornLines;
      journal.quarantined = recovery.quarantined;
      await writeQuarantine(join(dir, DLQ_FILES.quarantine), journal.path, recovery.quarantined, journal.#now());
    } catch (err) {
      await handle.close();
      throw err;
    }
    journal.#handle = handle;
    return journal;
  }

  /** Bytes in the journal file (flushed lines). */
  get size(): number {
    return this.#size;
  }

  /** The current file's generation (payload references of older generations were moved by a compaction). */
  get generation(): number {
    return this.#gen;
  }

  /**
   * Enables compaction: `snapshot` lists what recreates the live state; `when` decides from the file
   * size; `relocate` moves every payload reference of generation `gen` at or after byte `from` by `delta`
   * into generation `newGen` (the lines copied after the snapshot).
   */
  setCompaction(
    snapshot: () => SnapshotItem[],
    when: (fileBytes: number) => boolean,
    relocate: (gen: number, from: number, delta: number, newGen: number) => void,
  ): void {
    this.#snapshot = snapshot;
    this.#shouldCompact = when;
    this.#relocate = relocate;
  }

  /** Queues a line (no newline); the returned promise resolves once it is on stable storage. */
  append(line: string | JournalLine): Promise<void> {
    this.#buffer.push(typeof line === 'string' ? { line } : line);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#kick();
    return done;
  }

  /**
   * Reads a payload back. `ref` is asked after any file swap in progress has finished (it moves
   * payloads); null when the entry is gone.
   */
  async readPayload(ref: () => PayloadRef | null): Promise<string | null> {
    while (this.#swapping !== null) await this.#swapping;
    const at = ref();
    if (at === null) return null;
    if (this.#handle === null) throw new MigrateError('DLQ_IO', `dead-letter journal ${this.path} is closed`);
    if (at.gen !== this.#gen) throw new MigrateError('DLQ_IO', `${this.path}: payload reference of generation ${at.gen}, the file is at ${this.#gen}`);
    this.#readers++;
    try {
      return (await readRaw(this.#handle, at, this.path)).toString('utf8');
    } finally {
      this.#readers--;
      if (this.#readers === 0) this.#readersIdle?.();
    }
  }

  /** Resolves when no payload read is running (new ones wait while a swap is set). */
  async #readersDone(): Promise<void> {
    while (this.#readers > 0) await new Promise<void>((resolve) => (this.#readersIdle = resolve));
    this.#readersIdle = null;
  }

  /** Resolves once everything queued so far is durable. */
  async flush(): Promise<void> {
    if (this.#buffer.length > 0) await this.append('').catch(() => undefined);
    while (this.#flushing !== null) await this.#flushing;
    // a repair restores lines lost by failed writes: what was logged is durable only once it is done
    for (let c = this.#compaction; c?.repair === true; c = this.#compaction) {
      await c.done.catch(() => undefined);
      while (this.#flushing !== null) await this.#flushing;
    }
    if (this.#failed !== null) throw this.#failed;
  }

  #kick(): void {
    if (this.#flushing !== null) return;
    this.#flushing = this.#loop().finally(() => {
      this.#flushing = null;
      // a line appended between the loop's last check and this callback found the loop still running
      if (this.#buffer.length > 0) this.#kick();
    });
  }

  async #loop(): Promise<void> {
    while (this.#buffer.length > 0) {
      const lines = this.#buffer;
      const waiters = this.#waiters;
      this.#buffer = [];
      this.#waiters = [];
      try {
        // the snapshot is taken before this batch is written: it holds the batch's effects, and the
        // batch's lines are in the tail copied after it (applied again harmlessly)
        if (this.#failed !== null) await this.#handle!.truncate(this.#size); // drop what a failed write left
        if (this.#compaction === null && this.#snapshot !== null && (this.#shouldCompact(this.#size) || (this.#repair && this.#failed === null))) {
          this.#startCompaction(this.#repair);
          this.#repair = false;
        }
        const wrote = await this.#write(lines);
        if (wrote && this.#failed !== null) {
          this.#failed = null;
          this.#repair = true; // space is back: rewrite the journal from the live state at the next flush
          if (this.#snapshot !== null) this.#buffer.push({ line: '' });
        }
        if (this.#compaction?.ready === true) await this.#swap(this.#compaction);
        for (const w of waiters) w.resolve();
      } catch (err) {
        this.#failed = new MigrateError('DLQ_IO', `dead-letter journal ${this.path}: ${errorMessage(err)}`, { cause: err, retriable: true });
        if (lines.some((l) => l.line.length > 0)) this.#repair = true;
        for (const w of waiters) w.reject(this.#failed);
      }
    }
  }

  /** Writes a group commit (its lines, then the commit line) and syncs; false when there was nothing to write. */
  async #write(lines: JournalLine[]): Promise<boolean> {
    const items = lines.filter((l) => l.line.length > 0);
    if (items.length === 0) return false;
    const lengths = items.map((l) => Buffer.byteLength(l.line) + 1);
    const data = Buffer.allocUnsafe(lengths.reduce((a, b) => a + b, 0) + COMMIT_LINE.length + 1);
    let at = 0;
    for (const l of items) {
      at += data.write(l.line, at);
      data[at++] = 10;
    }
    at += data.write(COMMIT_LINE, at);
    data[at] = 10;
    await this.#io.write(this.#handle!, data);
    await this.#io.datasync(this.#handle!);
    let lineStart = this.#size;
    this.#size += data.length;
    items.forEach((l, i) => {
      const bytes = lengths[i]!;
      if (l.onWritten !== undefined && l.payloadStart !== undefined)
        l.onWritten({ gen: this.#gen, offset: lineStart + l.payloadStart, length: bytes - 2 - l.payloadStart });
      lineStart += bytes;
    });
    return true;
  }

  /** Takes the snapshot now and writes it into the side file in the background. */
  #startCompaction(repair = false): void {
    const items = this.#snapshot!();
    const handle = this.#handle!;
    const side = join(this.dir, DLQ_FILES.compacting);
    let finish!: (err?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => (finish = (err) => (err === undefined ? resolve() : reject(err))));
    done.catch(() => undefined);
    const compaction: Compaction = {
      side,
      tailFrom: this.#size,
      gen: this.#gen,
      written: writeSnapshot(side, items, handle, this.path, this.#gen + 1),
      ready: false,
      startedAt: performance.now(),
      repair,
      done,
      finish,
    };
    this.onCompaction?.({ phase: 'started', journalBytes: this.#size, ms: 0 });
    // written (or failed: the swap reports it): the swap happens at the next flush, so make sure there is one
    const ready = (): void => {
      compaction.ready = true;
      this.append('').catch(() => undefined);
    };
    compaction.written.then(ready, ready);
    this.#compaction = compaction;
  }

  /**
   * Between two flushes: copies the lines appended since the snapshot after it, syncs, renames the side
   * file over the journal and moves every payload reference. Payload reads wait for it.
   */
  async #swap(c: Compaction): Promise<void> {
    let endSwap!: () => void;
    this.#swapping = new Promise<void>((resolve) => (endSwap = resolve));
    let written: Awaited<Compaction['written']>;
    try {
      written = await c.written;
    } catch (err) {
      // the snapshot could not be written (disk full?): the journal itself is intact, keep appending to it
      await rm(c.side, { force: true }).catch(() => undefined);
      this.#compaction = null;
      this.#swapping = null;
      endSwap();
      this.onCompaction?.({ phase: 'failed', journalBytes: this.#size, ms: performance.now() - c.startedAt, error: err });
      c.finish(err);
      return;
    }
    try {
      const { out, size, moved } = written;
      try {
        await this.#readersDone();
        const tail = this.#size - c.tailFrom;
        for (let copied = 0; copied < tail; ) {
          const part = await readRaw(
            this.#handle!,
            { gen: this.#gen, offset: c.tailFrom + copied, length: Math.min(WRITE_CHUNK_BYTES, tail - copied) },
            this.path,
          );
          await writeAll(out, part);
          copied += part.length;
        }
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(c.side, this.path);
      await syncDirectory(this.dir);
      const old = this.#handle!;
      this.#handle = await open(this.path, constants.O_RDWR | constants.O_APPEND);
      const newGen = this.#gen + 1;
      for (const [onWritten, ref] of moved) onWritten(ref);
      this.#relocate(this.#gen, c.tailFrom, size - c.tailFrom, newGen);
      this.#size = size + (this.#size - c.tailFrom);
      this.#gen = newGen;
      // Closing the replaced file frees its blocks (40 ms for 200 MB here, idle; far more under write
      // load): done in the background, so appends waiting on this flush do not wait for it.
      this.#retired = Promise.all([this.#retired, old.close().catch(() => undefined)]).then(() => undefined);
      this.onCompaction?.({ phase: 'swapped', journalBytes: this.#size, ms: performance.now() - c.startedAt });
      c.finish();
    } catch (err) {
      await rm(c.side, { force: true }).catch(() => undefined);
      c.finish(err);
      throw err;
    } finally {
      this.#compaction = null;
      this.#swapping = null;
      endSwap();
    }
  }

  /** Compacts now and resolves once the new file is in place (used after purges). */
  async compactNow(): Promise<void> {
    await this.#settleCompaction().catch(() => undefined); // one already under way took an older snapshot
    const when = this.#shouldCompact;
    this.#shouldCompact = () => true;
    try {
      await this.append('');
    } finally {
      this.#shouldCompact = when;
    }
    await this.#settleCompaction();
  }

  /** Waits until no compaction is under way (each ends at a flush after its snapshot is written). */
  async #settleCompaction(): Promise<void> {
    await this.flush();
    for (let c = this.#compaction; c !== null; c = this.#compaction) {
      await c.done;
      await this.flush();
    }
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    if (this.#compaction !== null) {
      // a snapshot still being written: let it finish (its handle reads this file), then drop it
      const c = this.#compaction;
      const written = await c.written.catch(() => null);
      await written?.out.close().catch(() => undefined);
      await rm(c.side, { force: true }).catch(() => undefined);
      this.#compaction = null;
      c.finish();
    }
    await this.#readersDone();
    await this.#handle?.close();
    this.#handle = null;
    await this.#retired;
  }
}

/**
 * Writes a snapshot into `side` (payloads from memory, or copied from `from`), syncs it and returns the
 * open handle (positioned at the end, for the tail), its size and where each payload landed.
 */
async function writeSnapshot(
  side: string,
  items: SnapshotItem[],
  from: FileHandle,
  path: string,
  newGen: number,
): Promise<{ out: FileHandle; size: number; moved: Array<[(ref: PayloadRef) => void, PayloadRef]> }> {
  const out = await open(side, 'w');
  try {
    const moved: Array<[(ref: PayloadRef) => void, PayloadRef]> = [];
    let size = 0;
    let parts: Buffer[] = [];
    let pending = 0;
    const emit = async (part: Buffer, force = false): Promise<void> => {
      if (part.length > 0) parts.push(part);
      pending += part.length;
      size += part.length;
      if (pending >= WRITE_CHUNK_BYTES || (force && pending > 0)) {
        parts.push(COMMIT_BYTES); // the snapshot is synced before it is used: every chunk is committed
        pending += COMMIT_BYTES.length;
        size += COMMIT_BYTES.length;
        await writeAll(out, Buffer.concat(parts, pending));
        parts = [];
        pending = 0;
      }
    };
    for (const item of items) {
      if ('line' in item) {
        await emit(Buffer.from(`${item.line}\n`));
        continue;
      }
      const prefix = Buffer.from(item.prefix);
      const payload = item.payload !== null ? Buffer.from(item.payload) : await readRaw(from, item.ref!, path);
      moved.push([item.onWritten, { gen: newGen, offset: size + prefix.length, length: payload.length }]);
      await emit(Buffer.concat([prefix, payload, Buffer.from('}\n')]));
    }
    await emit(Buffer.alloc(0), true);
    await out.sync();
    return { out, size, moved };
  } catch (err) {
    await out.close().catch(() => undefined);
    throw err;
  }
}
