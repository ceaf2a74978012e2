import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Called for each complete line: `buffer[start, end)` without the newline. */
export type LineVisitor = (buffer: Buffer, start: number, end: number) => void;

export interface ScanResult {
  lines: number;
  /** Byte offset just after the last complete line: where the next scan of a growing file starts. */
  endOffset: number;
}

/**
 * Streams an NDJSON file from `from` and hands each complete line to `visit` as a slice of the read
 * buffer (no string is made unless the visitor makes one). A trailing line without its newline (a
 * writer mid-append) is left for the next scan. A missing file scans as empty.
 */
export async function scanNdjson(path: string, from: number, visit: LineVisitor): Promise<ScanResult> {
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (!exists) return { lines: 0, endOffset: from };
  let carry: Buffer = Buffer.alloc(0);
  let lines = 0;
  let endOffset = from;
  for await (const data of createReadStream(path, { start: from, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buffer: Buffer = carry.length > 0 ? Buffer.concat([carry, data]) : data;
    let start = 0;
    for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, start)) {
      visit(buffer, start, nl);
      lines++;
      endOffset += nl + 1 - start;
      start = nl + 1;
    }
    carry = buffer.subarray(start);
  }
  return { lines, endOffset };
}

/**
 * The value of a line's first field when the line starts with `prefix` (such as `{"id":"`) and the
 * string has no escapes: the fast path of finding a record's id without parsing the line. Returns
 * null when the line does not have that shape (the caller then parses it).
 */
export function leadingString(buffer: Buffer, start: number, end: number, prefix: Buffer): string | null {
  if (end - start < prefix.length + 1) return null;
  for (let i = 0; i < prefix.length; i++) if (buffer[start + i] !== prefix[i]) return null;
  const from = start + prefix.length;
  const quote = buffer.indexOf(0x22, from);
  if (quote === -1 || quote >= end) return null;
  if (buffer.subarray(from, quote).includes(0x5c)) return null;
  return buffer.toString('utf8', from, quote);
}
