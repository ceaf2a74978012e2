import { createWriteStream, type WriteStream } from 'node:fs';

export interface NdjsonLogOptions {
  /** Told about each failure to open or write the file (EACCES, ENOSPC, ENOTDIR...). */
  onError?: (err: NodeJS.ErrnoException) => void;
  /** After a failure, lines are dropped (and counted) until this long has passed; then the file is opened again (default 30 s). */
  retryMs?: number;
  now?: () => number;
}

/**
 * An append-only NDJSON file for diagnostics (the shadow reader's discrepancies) that can never take
 * the service down: a file that cannot be opened or written (permissions, a full disk) is reported to
 * `onError`, its lines are dropped and counted, and the file is opened again after `retryMs`. Without
 * an `error` listener a WriteStream's failure is an uncaught exception that ends the process.
 */
export class NdjsonLog {
  readonly path: string;
  readonly #o: NdjsonLogOptions;
  #stream: WriteStream | null = null;
  #brokenUntil = 0;
  /** Lines written to the stream, lines dropped while it was broken, and failures. */
  readonly counts = { written: 0, dropped: 0, errors: 0 };
  #closing: Promise<void>[] = [];

  constructor(path: string, options: NdjsonLogOptions = {}) {
    this.path = path;
    this.#o = options;
  }

  #open(): WriteStream | null {
    if (this.#stream !== null) return this.#stream;
    if ((this.#o.now ?? Date.now)() < this.#brokenUntil) return null;
    const stream = createWriteStream(this.path, { flags: 'a' });
    stream.on('error', (err: NodeJS.ErrnoException) => this.#failed(stream, err));
    this.#stream = stream;
    return stream;
  }

  #failed(stream: WriteStream, err: NodeJS.ErrnoException): void {
    this.counts.errors++;
    if (this.#stream === stream) {
      this.#stream = null;
      this.#brokenUntil = (this.#o.now ?? Date.now)() + (this.#o.retryMs ?? 30_000);
    }
    stream.destroy();
    try {
      this.#o.onError?.(err);
    } catch {
      // the reporter's own failure must not escape from an 'error' event either
    }
  }

  /** Appends one JSON line (dropped and counted while the file is broken). */
  write(value: unknown): void {
    const stream = this.#open();
    if (stream === null) {
      this.counts.dropped++;
      return;
    }
    stream.write(`${JSON.stringify(value)}\n`);
    this.counts.written++;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = null;
    if (stream !== null && !stream.destroyed) this.#closing.push(new Promise<void>((resolve) => stream.end(() => resolve()).once('error', () => resolve())));
    await Promise.all(this.#closing);
  }
}
