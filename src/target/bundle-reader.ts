import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { SPACE_ID } from '../mapping/types.js';
import { MigrateError } from '../errors.js';
import { decodeEmbedding, type BundleMemoryLine } from '../mapping/memory-encoding.js';
import { BUNDLE_FORMAT, digestFile, type BundleManifest } from './bundle-target.js';

/** Reads and checks a bundle's manifest; with `verify`, every file's sha256, count and size too. */
export async function readManifest(dir: string, verify = false): Promise<BundleManifest> {
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
  } catch (cause) {
    throw new MigrateError('BUNDLE_INVALID', `${dir} is not a complete bundle: manifest.json is missing or unreadable (was the backfill finished?)`, { cause });
  }
  if (manifest?.format !== BUNDLE_FORMAT) throw new MigrateError('BUNDLE_INVALID', `${dir}/manifest.json is not an engram-migrate bundle manifest`);
  if (typeof manifest.spaces !== 'object' || manifest.spaces === null || typeof manifest.edges !== 'object' || manifest.edges === null) {
    throw new MigrateError('BUNDLE_INVALID', `${dir}/manifest.json lacks its spaces or edges`);
  }
  for (const [space, info] of Object.entries(manifest.spaces)) checkBundlePath(dir, info?.file, `spaces.${space}.file`);
  checkBundlePath(dir, manifest.edges.file, 'edges.file');
  if (verify) {
    for (const info of [...Object.values(manifest.spaces), manifest.edges]) {
      const actual = await digestFile(join(dir, info.file)).catch((cause: unknown) => {
        throw new MigrateError('BUNDLE_INVALID', `${info.file} is listed in the manifest but cannot be read: ${(cause as Error).message}`, { cause });
      });
      if (actual.sha256 !== info.sha256 || actual.count !== info.count) {
        throw new MigrateError(
          'BUNDLE_INVALID',
          `${info.file} does not match the manifest (sha256 ${actual.sha256.slice(0, 12)}… vs ${info.sha256.slice(0, 12)}…, ${actual.count} vs ${info.count} lines): the bundle was changed or is incomplete`,
        );
      }
    }
  }
  return manifest;
}

/** A manifest `file` must name a file inside the bundle: no absolute path, no `..` out of it. */
function checkBundlePath(dir: string, file: unknown, field: string): void {
  const inside = typeof file === 'string' && file !== '' && !isAbsolute(file) && !file.includes('\0');
  const rel = inside ? relative(resolve(dir), resolve(dir, file)) : '';
  if (!inside || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new MigrateError('BUNDLE_INVALID', `${dir}/manifest.json: ${field} ${JSON.stringify(file)} is not a file inside the bundle`);
  }
}

export interface BundleLineChunk {
  lines: string[];
  /** Byte offset just after the chunk's last line: where a resumed read starts. */
  endOffset: number;
}

/** Streams a bundle file from `offset` in chunks of up to `size` complete lines. */
export async function* readLineChunks(path: string, offset: number, size: number): AsyncGenerator<BundleLineChunk> {
  let carry: Buffer = Buffer.alloc(0);
  let position = offset;
  let lines: string[] = [];
  for await (const data of createReadStream(path, { start: offset, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buffer: Buffer = carry.length > 0 ? Buffer.concat([carry, data]) : data;
    let start = 0;
    for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, start)) {
      lines.push(buffer.toString('utf8', start, nl));
      position += nl + 1 - start;
      start = nl + 1;
      if (lines.length === size) {
        yield { lines, endOffset: position };
        lines = [];
      }
    }
    carry = buffer.subarray(start);
  }
  if (lines.length > 0) yield { lines, endOffset: position };
}

const EMBEDDING_BASE64 = /^[A-Za-z0-9+/]{4096}$/; // 768 float32 = 3,072 bytes, no padding
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const MAX_CONTENT_BYTES = 100_000;

/** The first field of a parsed line that Engram would refuse or that could break a request, or null. */
function badField(v: Record<string, unknown>): string | null {
  if (typeof v.id !== 'string' || v.id === '') return 'id must be a non-empty string';
  if (typeof v.memory_space_id !== 'string' || !SPACE_ID.test(v.memory_space_id)) return 'memory_space_id must be 3-64 characters of a-z, 0-9, _ and -';
  if (typeof v.content !== 'string' || v.content === '') return 'content must be a non-empty string';
  if (Buffer.byteLength(v.content) > MAX_CONTENT_BYTES) return `content must be at most ${MAX_CONTENT_BYTES} UTF-8 bytes`;
  if (typeof v.confidence !== 'number' || !Number.isFinite(v.confidence) || v.confidence < 0 || v.confidence > 1)
    return 'confidence must be a finite number from 0 to 1';
  if (typeof v.timestamp !== 'string' || !RFC3339.test(v.timestamp) || Number.isNaN(Date.parse(v.timestamp))) return 'timestamp must be an RFC 3339 date-time';
  if (typeof v.memory_type !== 'string') return 'memory_type must be a string';
  if (typeof v.embedding_f32 !== 'string' || !EMBEDDING_BASE64.test(v.embedding_f32)) return 'embedding_f32 must be base64 of 768 float32 values';
  return null;
}

/**
 * Parses one bundle line and checks every field that goes into an Engram request (id, space, content,
 * confidence, timestamp, memory type, 768 finite embedding values), so a damaged or hand-edited line
 * can neither be sent nor change the shape of the request; the error names the file, line and field.
 */
export function parseMemoryLine(line: string, where: string): BundleMemoryLine & { vector: Float32Array } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new MigrateError('BUNDLE_INVALID', `${where}: not a bundle memory line`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MigrateError('BUNDLE_INVALID', `${where}: not a bundle memory line`);
  const record = value as Record<string, unknown>;
  const bad = badField(record);
  const id = typeof record.id === 'string' ? ` (id ${JSON.stringify(record.id.slice(0, 100))})` : '';
  if (bad) throw new MigrateError('BUNDLE_INVALID', `${where}${id}: ${bad}`);
  const vector = decodeEmbedding(record.embedding_f32 as string);
  const nonFinite = vector.findIndex((x) => !Number.isFinite(x));
  if (nonFinite !== -1) throw new MigrateError('BUNDLE_INVALID', `${where}${id}: embedding[${nonFinite}] is ${vector[nonFinite]} (must be finite)`);
  return { ...(record as unknown as BundleMemoryLine), vector };
}

/** Every memory of one space of a bundle, with its embedding (for validation). */
export async function* readSpace(dir: string, file: string, chunk = 2000): AsyncGenerator<Array<BundleMemoryLine & { vector: Float32Array }>> {
  for await (const part of readLineChunks(join(dir, file), 0, chunk)) yield part.lines.map((l, i) => parseMemoryLine(l, `${file} line ~${i + 1}`));
}
