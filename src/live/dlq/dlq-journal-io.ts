import type { FileHandle } from 'node:fs/promises';
import { MigrateError } from '../../errors.js';

/** Where a line's payload (the op's JSON, the last member of the line's object) sits in the journal file. */
export interface PayloadRef {
  /** The file generation the offset belongs to (each compaction starts a new one). */
  gen: number;
  offset: number;
  length: number;
}

/** A complete journal line as read back: its text and, when it has one, where its payload sits in the file. */
export interface ReadLine {
  text: string;
  /** Byte offset of the line's start in the file. */
  offset: number;
  payload: PayloadRef | null;
}

const PAYLOAD_KEY = Buffer.from('"op":');
const READ_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Reads a journal's complete lines in order, a chunk at a time (a queue filled during a long outage can
 * be gigabytes, beyond what one string can hold). Returns the bytes of complete lines: anything after
 * them is a torn tail. A line's payload is found by its `"op":` key, which a JSON string cannot contain
 * unescaped, and which the journal writes as the last member.
 */
export async function readJournalLines(handle: FileHandle, onLine: (line: ReadLine) => void, chunkBytes = READ_CHUNK_BYTES, gen = 0): Promise<number> {
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
        const payload = key !== -1 && data[nl - 1] === 0x7d ? { gen, offset: carryOffset + from, length: nl - 1 - from } : null;
        onLine({ text: data.toString('utf8', start, nl), payload, offset: carryOffset + start });
      }
      start = nl + 1;
    }
    carryOffset += start;
    carry = Buffer.from(data.subarray(start)); // a copy: `chunk` is reused
  }
}

export async function readRaw(handle: FileHandle, ref: PayloadRef, path: string): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(ref.length);
  let read = 0;
  while (read < ref.length) {
    const { bytesRead } = await handle.read(bytes, read, ref.length - read, ref.offset + read);
    if (bytesRead === 0) throw new MigrateError('DLQ_IO', `${path}: bytes at ${ref.offset} (+${ref.length}) are past the end of the file`);
    read += bytesRead;
  }
  return bytes;
}

/** Writes all of `data` at the handle's position (appending for an O_APPEND handle). */
export async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let written = 0;
  while (written < data.length) written += (await handle.write(data, written, data.length - written)).bytesWritten;
}

/** fsync of a directory, so a rename in it is durable (one implementation for the whole project). */
export { syncDirectory } from '../../shared/durable-file.js';
