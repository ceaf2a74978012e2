/**
 * Corruption planted in a migrated target for the validation tests: edits of a bundle on disk, a
 * target decorator that silently drops or rewrites memories while reporting them written, and
 * near-duplicate "intruders" written to Engram so the target's dedup swallows the real memories.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncodedMemoryBatch, MemoryWriteResult, Target, WriteGate } from '../../src/target/target.js';
import type { EngramClient } from '../../src/target/engram-client.js';

const D = 768;

/** A vector unrelated to any in the graph (cosine near 0 with them). */
export function unrelatedVector(seed: number): Float32Array {
  return Float32Array.from({ length: D }, (_, i) => Math.sin(seed * 7919 + i * 0.37) + Math.cos(i * seed));
}

/** `v` plus a small perturbation: cosine with `v` about 0.9999, far above Engram's 0.95 dedup line. */
export function nearDuplicate(v: ArrayLike<number>, seed: number): number[] {
  return Array.from(v, (x, i) => x + 0.002 * Math.sin(seed + i));
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

function save(path: string, rows: string[]): void {
  writeFileSync(path, rows.map((l) => l + '\n').join(''));
}

export interface BundlePlant {
  deleted: string[];
  alteredEmbedding: string[];
  wrongContent: string[];
  droppedEdge: string[];
}

/**
 * In a copy of a bundle: deletes 3 person memories, replaces 3 document embeddings, edits 3 document
 * contents, and drops one outgoing edge of 3 other persons. Returns the ids hit, per kind.
 */
export function corruptBundle(dir: string): BundlePlant {
  const people = join(dir, 'memories', 'person.ndjson');
  const docs = join(dir, 'memories', 'document.ndjson');
  const edgesPath = join(dir, 'edges.ndjson');
  const personLines = lines(people);
  const docLines = lines(docs).map((l) => JSON.parse(l) as Record<string, unknown>);
  const idOf = (l: string): string => (JSON.parse(l) as { id: string }).id;
  const plant: BundlePlant = {
    deleted: personLines.slice(0, 3).map(idOf),
    alteredEmbedding: docLines.slice(0, 3).map((d) => d.id as string),
    wrongContent: docLines.slice(3, 6).map((d) => d.id as string),
    droppedEdge: personLines.slice(3, 6).map(idOf),
  };
  save(people, personLines.slice(3));
  docLines.slice(0, 3).forEach((d, i) => {
    const v = unrelatedVector(i + 1);
    d.embedding_f32 = Buffer.from(v.buffer).toString('base64');
  });
  docLines.slice(3, 6).forEach((d) => (d.content = `${d.content as string} (edited)`));
  save(
    docs,
    docLines.map((d) => JSON.stringify(d)),
  );
  const dropped = new Set<string>();
  save(
    edgesPath,
    lines(edgesPath).filter((l) => {
      const e = JSON.parse(l) as { source: string; source_space: string };
      if (e.source_space !== 'person' || !plant.droppedEdge.includes(e.source) || dropped.has(e.source)) return true;
      dropped.add(e.source);
      return false;
    }),
  );
  return plant;
}

/**
 * Wraps a target: memories whose id is in `drop` are never sent, those in `wrongContent` are sent with
 * altered content (both reported as written, as a silently lossy target would), and those in `refuse`
 * are reported refused (TARGET_REJECTED, as Engram's 4xx answers are), so they land in the reject log.
 */
export class CorruptingTarget implements Target {
  readonly kind;
  readonly encoding;
  readonly capabilities;
  readonly location;

  constructor(
    readonly inner: Target,
    readonly drop: ReadonlySet<string>,
    readonly wrongContent: ReadonlySet<string>,
    readonly refuse: ReadonlySet<string> = new Set(),
  ) {
    this.kind = inner.kind;
    this.encoding = inner.encoding;
    this.capabilities = inner.capabilities;
    this.location = inner.location;
  }

  async writeMemories(batch: EncodedMemoryBatch, gate: WriteGate, signal?: AbortSignal): Promise<MemoryWriteResult> {
    const keep = batch.ids.map((id, i) => ({ id, i })).filter(({ id }) => !this.drop.has(id) && !this.refuse.has(id));
    const refused = batch.ids.filter((id) => this.refuse.has(id));
    const bodies = keep.map(({ id, i }) => {
      const body = Buffer.from(batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1])).toString('utf8');
      if (!this.wrongContent.has(id)) return body;
      const parsed = JSON.parse(body) as { content: string };
      return JSON.stringify({ ...parsed, content: `${parsed.content} (edited)` });
    });
    const offsets = new Uint32Array(keep.length + 1);
    bodies.forEach((b, k) => (offsets[k + 1] = offsets[k]! + Buffer.byteLength(b)));
    const rewritten: EncodedMemoryBatch = {
      ids: keep.map((k) => k.id),
      spaces: keep.map((k) => batch.spaces[k.i]!),
      bytes: new Uint8Array(Buffer.from(bodies.join(''))),
      offsets,
    };
    const result = await this.inner.writeMemories(rewritten, gate, signal);
    const rejects = refused.map((id) => ({
      kind: 'node' as const,
      id,
      label: null,
      elementId: null,
      field: null,
      code: 'TARGET_REJECTED' as const,
      reason: 'refused by the test target',
    }));
    return { written: result.written + (batch.ids.length - keep.length - refused.length), rejects: [...result.rejects, ...rejects] };
  }

  open = (...args: Parameters<Target['open']>): ReturnType<Target['open']> => this.inner.open(...args);
  writeEdges = (...args: Parameters<Target['writeEdges']>): ReturnType<Target['writeEdges']> => this.inner.writeEdges(...args);
  state = (): ReturnType<Target['state']> => this.inner.state();
  spaceCounts = (...args: Parameters<Target['spaceCounts']>): ReturnType<Target['spaceCounts']> => this.inner.spaceCounts(...args);
  finish = (...args: Parameters<Target['finish']>): ReturnType<Target['finish']> => this.inner.finish(...args);
  close = (): ReturnType<Target['close']> => this.inner.close();
}

/** Writes one memory straight to Engram (as another writer would), bypassing the migration. */
export async function writeMemory(
  client: EngramClient,
  space: string,
  id: string,
  content: string,
  embedding: ArrayLike<number>,
  confidence: number,
): Promise<void> {
  await client.remember(space, JSON.stringify({ id, memory_space_id: space, content, embedding: Array.from(embedding), confidence }));
}
