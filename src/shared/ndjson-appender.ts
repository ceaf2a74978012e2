import { access, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './durable-file.js';

/**
 * An append-only file whose acknowledged length is the unit of durability: `sync()` flushes to disk and
 * returns the length to store in a checkpoint; `open(path, length)` truncates back to it on resume, so
 * lines written after the last checkpoint are dropped instead of duplicated.
 */
export class NdjsonAppender {
  readonly path: string;
  #handle: FileHandle | null = null;
  #length = 0;
  #dirty = false;

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens (creating if needed); with `resumeLength` the file is cut back to that many bytes. */
  static async open(path: string, resumeLength: number | null = null): Promise<NdjsonAppender> {
    const appender = new NdjsonAppender(path);
    const existed = await access(path).then(
      () => true,
      () => false,
    );
    const handle = await open(path, 'a+');
    // A new file's name lives in its directory: without this fsync a checkpointed length could point
    // into a file that a power cut makes vanish.
    if (!existed)
      await syncDirectory(dirname(path)).catch(async (err: unknown) => {
        await handle.close();
        throw err;
      });
    const { size } = await handle.stat();
    if (resumeLength !== null && size !== resumeLength) {
      if (size < resumeLength) {
        await handle.close();
        throw new Error(`${path} is ${size} bytes but the checkpoint says ${resumeLength}: the file was changed outside the run`);
      }
      await handle.truncate(resumeLength);
    }
    appender.#handle = handle;
    appender.#length = resumeLength ?? size;
    return appender;
  }

  get length(): number {
    return this.#length;
  }

  async append(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    if (data.length === 0) return;
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.#handle!.write(data, written, data.length - written);
      written += bytesWritten;
    }
    this.#length += data.length;
    this.#dirty = true;
  }

  /** Flushes to stable storage and returns the durable length. */
  async sync(): Promise<number> {
    if (this.#dirty) {
      await this.#handle!.datasync();
      this.#dirty = false;
    }
    return this.#length;
  }

  async close(): Promise<void> {
    if (this.#handle) {
      await this.sync();
      await this.#handle.close();
      this.#handle = null;
    }
  }
}
