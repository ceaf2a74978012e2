import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
  if (manifest.format !== BUNDLE_FORMAT) throw new MigrateError('BUNDLE_INVALID', `${dir}/manifest.json is not an engram-migrate bundle manifest`);
  if (verify) {
    for (const info of [...Object.values(manifest.spaces), manifest.edges]) {
      const actual = await digestFile(join(dir, info.file)).catch((cause: unknown) => {
        throw new MigrateError('BUNDLE_INVALID', `${info.file} is listed in the manifest but cannot be read: ${(cause as Error).message}`, { cause });
      });
      if (actual.sha256 !== info.sha256 || actual.count !== info.count) {
        throw new MigrateError('BUNDLE_INVALID', `${info.file} does not match the manifest (sha256 ${actual.sha256.slice(0, 12)}… vs ${info.sha256.slice(0, 12)}…, ${actual.count} vs ${info.count} lines): the bundle was changed or is incomplete`);
      }
    }
  }
  return manifest;
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

/** Parses one bundle line; the error names the file and line. */
export function parseMemoryLine(line: string, where: string): BundleMemoryLine & { vector: Float32Array } {
  try {
    const value = JSON.parse(line) as BundleMemoryLine;
    return { ...value, vector: decodeEmbedding(value.embedding_f32) };
  } catch (cause) {
    throw new MigrateError('BUNDLE_INVALID', `${where}: not a bundle memory line`, { cause });
  }
}

/** Every memory of one space of a bundle, with its embedding (for validation). */
export async function* readSpace(dir: string, file: string, chunk = 2000): AsyncGenerator<Array<BundleMemoryLine & { vector: Float32Array }>> {
  for await (const part of readLineChunks(join(dir, file), 0, chunk)) yield part.lines.map((l, i) => parseMemoryLine(l, `${file} line ~${i + 1}`));
}
