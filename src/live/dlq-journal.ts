import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrateError, errorMessage } from '../errors.js';

/** File names inside a dead-letter-queue directory. */
export const DLQ_FILES = { journal: 'journal.ndjson', lock: 'dlq.lock', compacting: 'journal.ndjson.compact' } as const;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The dead-letter queue's append-only NDJSON journal. Appends are group-committed: one `write` +
 * `fdatasync` covers every line queued while the previous flush ran, so durability costs one sync per
 * flush, not per line. Compaction rewrites the file from a snapshot of the live state into a side file,
 * syncs it and renames it over the journal (atomic on POSIX), so a kill -9 at any point leaves either the
 * old or the new journal, never a mix. A torn last line (kill -9 mid-write) is cut off when reopened.
 */
export class DlqJournal {
  readonly dir: string;
  readonly path: string;
  #handle: FileHandle | null = null;
  #size = 0;
  #buffer: string[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | null = null;
  #snapshot: (() => string[]) | null = null;
  #shouldCompact: (fileBytes: number) => boolean = () => false;
  #failed: unknown = null;

  private constructor(dir: string) {
    this.dir = dir;
    this.path = join(dir, DLQ_FILES.journal);
  }

  /**
   * Opens the journal in `dir` (created if missing) and returns it with the lines it holds, the torn
   * tail removed. A leftover compaction side file (crash before the rename) is discarded.
   */
  static async open(dir: string): Promise<{ journal: DlqJournal; lines: string[] }> {
    const journal = new DlqJournal(dir);
    await mkdir(dir, { recursive: true });
    await rm(join(dir, DLQ_FILES.compacting), { force: true });
    let text = '';
    try {
      text = await readFile(journal.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new MigrateError('DLQ_IO', `cannot read ${journal.path}: ${errorMessage(err)}`, { cause: err });
    }
    const end = text.lastIndexOf('\n') + 1;
    journal.#handle = await open(journal.path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND);
    const bytes = Buffer.byteLength(text.slice(0, end));
    if (end < text.length) await journal.#handle.truncate(bytes); // torn tail of a write cut by a crash
    journal.#size = bytes;
    return { journal, lines: text.slice(0, end).split('\n').filter((l) => l.length > 0) };
  }

  /** Bytes in the journal file (flushed lines). */
  get size(): number {
    return this.#size;
  }

  /** Enables compaction: `snapshot` returns the lines that recreate the live state; `when` decides from the file size. */
  setCompaction(snapshot: () => string[], when: (fileBytes: number) => boolean): void {
    this.#snapshot = snapshot;
    this.#shouldCompact = when;
  }

  /** Queues a line (no newline); the returned promise resolves once it is on stable storage. */
  append(line: string): Promise<void> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    this.#buffer.push(line);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#kick();
    return done;
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

  async #write(lines: string[]): Promise<void> {
    const text = lines.filter((l) => l.length > 0).map((l) => `${l}\n`).join('');
    if (text.length === 0) return;
    const data = Buffer.from(text);
    let written = 0;
    while (written < data.length) written += (await this.#handle!.write(data, written, data.length - written)).bytesWritten;
    await this.#handle!.datasync();
    this.#size += data.length;
  }

  /** The snapshot is taken now (synchronously), so it covers every line of the buffer just taken. */
  async #compact(): Promise<void> {
    const lines = this.#snapshot!();
    const side = join(this.dir, DLQ_FILES.compacting);
    const data = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    const handle = await open(side, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(side, this.path);
    await syncDirectory(this.dir);
    await this.#handle!.close();
    this.#handle = await open(this.path, constants.O_RDWR | constants.O_APPEND);
    this.#size = data.length;
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
    await this.#handle?.close();
    this.#handle = null;
  }
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
