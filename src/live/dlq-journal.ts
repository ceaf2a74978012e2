import { constants } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrateError, errorMessage } from '../errors.js';

/** File names inside a dead-letter-queue directory. */
export const DLQ_FILES = { journal: 'journal.ndjson', lock: 'dlq.lock', compacting: 'journal.ndjson.compact' } as const;

/** Where a line's payload (the op's JSON, the last member of the line's object) sits in the journal file. */
export interface PayloadRef {
  offset: number;
  length: number;
}

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

/** A complete journal line as read back: its text and, when it has one, where its payload sits in the file. */
export interface ReadLine {
  text: string;
  payload: PayloadRef | null;
}

const PAYLOAD_KEY = Buffer.from('"op":');
const READ_CHUNK_BYTES = 8 * 1024 * 1024;
const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Reads a journal's complete lines in order, a chunk at a time (a queue filled during a long outage can
 * be gigabytes, beyond what one string can hold). Returns the bytes of complete lines: anything after
 * them is a torn tail. A line's payload is found by its `"op":` key, which a JSON string cannot contain
 * unescaped, and which the journal writes as the last member.
 */
export async function readJournalLines(handle: FileHandle, onLine: (line: ReadLine) => void, chunkBytes = READ_CHUNK_BYTES): Promise<number> {
  let carry = Buffer.alloc(0);
  let carryOffset = 0; // file offset of carry[0]
  let position = 0;
  const chunk = Buffer.allocUnsafe(chunkBytes);
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunkBytes, position);
    if (bytesRead === 0) return carryOffset;
    position += bytesRead;
    const data = carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      if (nl > start) {
        const key = data.subarray(start, nl).indexOf(PAYLOAD_KEY); // within the line only
        const from = start + key + PAYLOAD_KEY.length;
        const payload = key !== -1 && data[nl - 1] === 0x7d ? { offset: carryOffset + from, length: nl - 1 - from } : null;
        onLine({ text: data.toString('utf8', start, nl), payload });
      }
      start = nl + 1;
    }
    carryOffset += start;
    carry = Buffer.from(data.subarray(start)); // a copy: `chunk` is reused
  }
}

/**
 * The dead-letter queue's append-only NDJSON journal. Appends are group-committed: one `write` +
 * `fdatasync` covers every line queued while the previous flush ran, so durability costs one sync per
 * flush, not per line. Payloads (the writes' data) live only here once durable: the queue keeps their
 * place and reads them back when it needs them, so a queue that grows through a long outage costs disk,
 * not memory. Compaction writes a snapshot of the live entries into a side file (payloads copied from the
 * current file), syncs it and renames it over the journal (atomic on POSIX), so a kill -9 at any point
 * leaves either the old or the new journal, never a mix. A torn last line (kill -9 mid-write) is cut off
 * when reopened.
 */
export class DlqJournal {
  readonly dir: string;
  readonly path: string;
  #handle: FileHandle | null = null;
  #size = 0;
  #buffer: JournalLine[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | null = null;
  #snapshot: (() => SnapshotItem[]) | null = null;
  #shouldCompact: (fileBytes: number) => boolean = () => false;
  #failed: unknown = null;
  /** Set while a compaction runs: payload reads wait for it (the file and every offset change). */
  #compacting: Promise<void> | null = null;
  #readers = 0;
  #readersIdle: (() => void) | null = null;

  private constructor(dir: string) {
    this.dir = dir;
    this.path = join(dir, DLQ_FILES.journal);
  }

  /**
   * Opens the journal in `dir` (created if missing), handing every complete line to `onLine` in order;
   * a torn tail is removed. A leftover compaction side file (crash before the rename) is discarded.
   */
  static async open(dir: string, onLine: (line: ReadLine) => void): Promise<DlqJournal> {
    const journal = new DlqJournal(dir);
    await mkdir(dir, { recursive: true });
    await rm(join(dir, DLQ_FILES.compacting), { force: true });
    const handle = await open(journal.path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND).catch((err: unknown) => {
      throw new MigrateError('DLQ_IO', `cannot open ${journal.path}: ${errorMessage(err)}`, { cause: err });
    });
    try {
      const complete = await readJournalLines(handle, onLine);
      const { size } = await handle.stat();
      if (complete < size) await handle.truncate(complete); // torn tail of a write cut by a crash
      journal.#size = complete;
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

  /** Enables compaction: `snapshot` lists what recreates the live state; `when` decides from the file size. */
  setCompaction(snapshot: () => SnapshotItem[], when: (fileBytes: number) => boolean): void {
    this.#snapshot = snapshot;
    this.#shouldCompact = when;
  }

  /** Queues a line (no newline); the returned promise resolves once it is on stable storage. */
  append(line: string | JournalLine): Promise<void> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    this.#buffer.push(typeof line === 'string' ? { line } : line);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#kick();
    return done;
  }

  /**
   * Reads a payload back. `ref` is asked after any compaction in progress has finished (it moves every
   * payload); null when the entry is gone.
   */
  async readPayload(ref: () => PayloadRef | null): Promise<string | null> {
    while (this.#compacting !== null) await this.#compacting;
    const at = ref();
    if (at === null) return null;
    if (this.#handle === null) throw new MigrateError('DLQ_IO', `dead-letter journal ${this.path} is closed`);
    this.#readers++;
    try {
      return (await this.#readRaw(at)).toString('utf8');
    } finally {
      this.#readers--;
      if (this.#readers === 0) this.#readersIdle?.();
    }
  }

  /** Resolves once everything queued so far is durable. */
  async flush(): Promise<void> {
    if (this.#buffer.length > 0) await this.append('').catch(() => undefined);
    while (this.#flushing) await this.#flushing;
    if (this.#failed !== null) throw this.#failed;
  }

  #kick(): void {
    if (this.#flushing !== null) return;
    this.#flushing = this.#loop().finally(() => {
      this.#flushing = null;
      // a line appended between the loop's last check and this callback found the loop still running
      if (this.#buffer.length > 0 && this.#failed === null) this.#kick();
    });
  }

  async #loop(): Promise<void> {
    while (this.#buffer.length > 0 && this.#failed === null) {
      const lines = this.#buffer;
      const waiters = this.#waiters;
      this.#buffer = [];
      this.#waiters = [];
      try {
        if (this.#snapshot !== null && this.#shouldCompact(this.#size)) await this.#compact();
        else await this.#write(lines);
        for (const w of waiters) w.resolve();
      } catch (err) {
        this.#failed = new MigrateError('DLQ_IO', `dead-letter journal ${this.path}: ${errorMessage(err)}`, { cause: err });
        for (const w of [...waiters, ...this.#waiters]) w.reject(this.#failed);
        this.#waiters = [];
      }
    }
  }

  async #write(lines: JournalLine[]): Promise<void> {
    const items = lines.filter((l) => l.line.length > 0);
    if (items.length === 0) return;
    const lengths = items.map((l) => Buffer.byteLength(l.line) + 1);
    const data = Buffer.allocUnsafe(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const l of items) {
      at += data.write(l.line, at);
      data[at++] = 10;
    }
    await writeAll(this.#handle!, data);
    await this.#handle!.datasync();
    let lineStart = this.#size;
    this.#size += data.length;
    items.forEach((l, i) => {
      const bytes = lengths[i]!;
      if (l.onWritten !== undefined && l.payloadStart !== undefined) l.onWritten({ offset: lineStart + l.payloadStart, length: bytes - 2 - l.payloadStart });
      lineStart += bytes;
    });
  }

  /**
   * The snapshot is taken now (synchronously), so it covers every line of the buffer just taken; events
   * logged meanwhile follow it in the new file. Payload reads wait until the new file is in place.
   */
  async #compact(): Promise<void> {
    const items = this.#snapshot!();
    let finish!: () => void;
    this.#compacting = new Promise<void>((resolve) => (finish = resolve));
    try {
      while (this.#readers > 0) await new Promise<void>((resolve) => (this.#readersIdle = resolve));
      this.#readersIdle = null;
      const side = join(this.dir, DLQ_FILES.compacting);
      const out = await open(side, 'w');
      const moved: Array<[(ref: PayloadRef) => void, PayloadRef]> = [];
      let size = 0;
      try {
        let parts: Buffer[] = [];
        let pending = 0;
        const emit = async (part: Buffer, force = false): Promise<void> => {
          if (part.length > 0) parts.push(part);
          pending += part.length;
          size += part.length;
          if (pending >= WRITE_CHUNK_BYTES || (force && pending > 0)) {
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
          const payload = item.payload !== null ? Buffer.from(item.payload) : await this.#readRaw(item.ref!);
          moved.push([item.onWritten, { offset: size + prefix.length, length: payload.length }]);
          await emit(Buffer.concat([prefix, payload, Buffer.from('}\n')]));
        }
        await emit(Buffer.alloc(0), true);
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(side, this.path);
      await syncDirectory(this.dir);
      await this.#handle!.close();
      this.#handle = await open(this.path, constants.O_RDWR | constants.O_APPEND);
      this.#size = size;
      for (const [onWritten, ref] of moved) onWritten(ref);
    } finally {
      this.#compacting = null;
      finish();
    }
  }

  async #readRaw(ref: PayloadRef): Promise<Buffer> {
    const bytes = Buffer.allocUnsafe(ref.length);
    let read = 0;
    while (read < ref.length) {
      const { bytesRead } = await this.#handle!.read(bytes, read, ref.length - read, ref.offset + read);
      if (bytesRead === 0) throw new MigrateError('DLQ_IO', `${this.path}: payload at ${ref.offset} (+${ref.length}) is past the end of the file`);
      read += bytesRead;
    }
    return bytes;
  }

  /** Forces a compaction at the next flush (used after purges). */
  async compactNow(): Promise<void> {
    const when = this.#shouldCompact;
    this.#shouldCompact = () => true;
    try {
      await this.append('');
    } finally {
      this.#shouldCompact = when;
    }
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    while (this.#readers > 0) await new Promise<void>((resolve) => (this.#readersIdle = resolve));
    await this.#handle?.close();
    this.#handle = null;
  }
}

/** Writes all of `data` at the handle's position (appending for an O_APPEND handle). */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let written = 0;
  while (written < data.length) written += (await handle.write(data, written, data.length - written)).bytesWritten;
}

/** fsync of a directory, so a rename in it is durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
