import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrateError } from '../errors.js';
import { NdjsonAppender } from '../shared/ndjson-appender.js';
import { syncDirectory } from '../shared/durable-file.js';
import type { EncodedMemoryBatch, MemoryWriteResult, Target, WriteGate, TargetCapabilities, TargetState } from './target.js';

export const BUNDLE_FORMAT = 'engram-migrate-bundle';
export const BUNDLE_VERSION = 1;

export interface BundleFileInfo {
  file: string;
  count: number;
  bytes: number;
  sha256: string;
}

/** `manifest.json` of a bundle: what is in it and how to check it. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  createdAt: string;
  embeddingDim: number;
  embeddingEncoding: 'f32le-base64';
  spaces: Record<string, BundleFileInfo>;
  edges: BundleFileInfo;
  info: Record<string, unknown>;
}

export const memoriesFile = (space: string): string => join('memories', `${space}.ndjson`);
export const EDGES_FILE = 'edges.ndjson';

/** sha256, line count and size of a file, streamed. */
export async function digestFile(path: string): Promise<{ sha256: string; count: number; bytes: number }> {
  const hash = createHash('sha256');
  let count = 0;
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++;
  }
  return { sha256: hash.digest('hex'), count, bytes };
}

/**
 * The default target: a directory holding NDJSON memories per space (`memories/<space>.ndjson`), NDJSON
 * edges, and a manifest with counts and checksums. `engram-migrate load` replays it into Engram.
 * Durability: every acknowledged batch is fsynced and its file lengths go into the checkpoint.
 */
export class BundleTarget implements Target {
  readonly kind = 'bundle' as const;
  readonly encoding = 'bundle-ndjson' as const;
  readonly capabilities: TargetCapabilities = { edges: true, dedup: false, capacityPerSpace: null, checkpointDuringWrites: false };
  readonly location: string;
  readonly #overwrite: boolean;
  readonly #append: boolean;
  readonly #memories = new Map<string, NdjsonAppender>();
  #edges: NdjsonAppender | null = null;

  /**
   * `overwrite`: empty the bundle first. `append`: keep what it holds and add to it (more labels into an
   * existing bundle; the manifest then covers every file). Neither: refuse a bundle that holds memories.
   */
  constructor(dir: string, options: { overwrite?: boolean; append?: boolean } = {}) {
    this.location = dir;
    this.#overwrite = options.overwrite ?? false;
    this.#append = !this.#overwrite && (options.append ?? false);
  }

  /** The manifest of the bundle as it is on disk, or null when it has none. */
  async manifest(): Promise<BundleManifest | null> {
    const text = await readFile(join(this.location, 'manifest.json'), 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as BundleManifest);
  }

  async open(state: TargetState | null): Promise<void> {
    await mkdir(join(this.location, 'memories'), { recursive: true });
    await syncDirectory(this.location);
    if (state === null && !this.#append) {
      const existing = await readdir(join(this.location, 'memories'));
      if (existing.length > 0 && !this.#overwrite) {
        throw new MigrateError(
          'BUNDLE_NOT_EMPTY',
          `bundle directory ${this.location} already holds memories (${existing.join(', ')}); add to it with --append, resume the run that wrote it with --resume, or replace it with --overwrite`,
        );
      }
      for (const file of existing) await rm(join(this.location, 'memories', file), { force: true });
      await rm(join(this.location, 'manifest.json'), { force: true });
    }
    if (state === null && this.#append) {
      // Every file already in the bundle stays, appended to where it ends, and is part of the state.
      this.#edges = await NdjsonAppender.open(join(this.location, EDGES_FILE), null);
      for (const file of (await readdir(join(this.location, 'memories'))).filter((f) => f.endsWith('.ndjson'))) {
        this.#memories.set(`memories/${file}`, await NdjsonAppender.open(join(this.location, 'memories', file), null));
      }
      return;
    }
    const fresh = state === null;
    this.#edges = await NdjsonAppender.open(join(this.location, EDGES_FILE), fresh ? 0 : (state[EDGES_FILE] ?? 0));
    if (state !== null) {
      // Files the checkpoint knows are cut back to its lengths; a space file it does not know was
      // started after the checkpoint, so it is emptied: nothing written after the checkpoint survives.
      const onDisk = (await readdir(join(this.location, 'memories'))).map((f) => `memories/${f}`).filter((f) => f.endsWith('.ndjson'));
      for (const file of new Set([...onDisk, ...Object.keys(state).filter((f) => f.startsWith('memories/'))])) {
        this.#memories.set(file, await NdjsonAppender.open(join(this.location, file), state[file] ?? 0));
      }
    }
  }

  async #appender(space: string): Promise<NdjsonAppender> {
    const file = memoriesFile(space);
    let appender = this.#memories.get(file);
    if (!appender) {
      appender = await NdjsonAppender.open(join(this.location, file), this.#append ? null : 0);
      this.#memories.set(file, appender);
    }
    return appender;
  }

  async writeMemories(batch: EncodedMemoryBatch, gate: WriteGate): Promise<MemoryWriteResult> {
    let start = 0;
    while (start < batch.ids.length) {
      const space = batch.spaces[start]!;
      let end = start + 1;
      while (end < batch.ids.length && batch.spaces[end] === space) end++;
      const appender = await this.#appender(space);
      const bytes = batch.bytes.subarray(batch.offsets[start], batch.offsets[end]);
      await gate.schedule(end - start, () => appender.append(bytes));
      start = end;
    }
    return { written: batch.ids.length, rejects: [] };
  }

  async writeEdges(lines: Uint8Array): Promise<void> {
    await this.#edges!.append(lines);
  }

  async state(): Promise<TargetState> {
    const state: TargetState = { [EDGES_FILE]: await this.#edges!.sync() };
    for (const [file, appender] of this.#memories) state[file] = await appender.sync();
    return state;
  }

  async spaceCounts(spaces: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const space of spaces) {
      const path = join(this.location, memoriesFile(space));
      const exists = await stat(path).then(
        () => true,
        () => false,
      );
      counts.set(space, exists ? (await digestFile(path)).count : 0);
    }
    return counts;
  }

  /** Writes the manifest over every file of the bundle; after an append, `info.runs` lists each run's info. */
  async finish(info: Record<string, unknown>): Promise<void> {
    await this.state();
    const previous = this.#append ? await this.manifest() : null;
    const runs = [...((previous?.info.runs as unknown[] | undefined) ?? (previous ? [previous.info] : [])), info];
    const spaces: Record<string, BundleFileInfo> = {};
    for (const file of [...this.#memories.keys()].sort()) {
      const space = file.slice('memories/'.length, -'.ndjson'.length);
      spaces[space] = { file, ...(await digestFile(join(this.location, file))) };
    }
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      createdAt: new Date().toISOString(),
      embeddingDim: 768,
      embeddingEncoding: 'f32le-base64',
      spaces,
      edges: { file: EDGES_FILE, ...(await digestFile(join(this.location, EDGES_FILE))) },
      info: previous ? { ...info, runs } : info,
    };
    const path = join(this.location, 'manifest.json');
    await writeFile(`${path}.tmp`, JSON.stringify(manifest, null, 2) + '\n');
    const handle = await open(`${path}.tmp`, 'r');
    await handle.sync();
    await handle.close();
    await rename(`${path}.tmp`, path);
    await syncDirectory(this.location);
  }

  async close(): Promise<void> {
    for (const appender of this.#memories.values()) await appender.close();
    await this.#edges?.close();
  }
}
