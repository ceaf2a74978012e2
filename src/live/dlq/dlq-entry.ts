import { decodeEmbedding } from '../../mapping/memory-encoding.js';
import type { LiveEdge, LiveMemory } from '../graph-database.js';

/**
 * A write waiting for the secondary store. A `delete` is logged for its key's order only (it supersedes
 * the key's older queued writes): Engram cannot delete, the primary keeps a tombstone instead.
 */
export type DlqOp = { kind: 'memory'; memory: LiveMemory } | { kind: 'edge'; edge: LiveEdge } | { kind: 'delete'; space: string; id: string };

/**
 * - `intent`: logged before the primary write; the primary's outcome is not known yet (after a crash:
 *   in doubt, resolved by asking the primary whether it holds the write).
 * - `pending`: the primary holds it; waiting for (another attempt at) the secondary.
 * - `parked`: a poison entry, kept with its reason until replayed or purged by hand.
 */
export type DlqEntryState = 'intent' | 'pending' | 'parked';

/** One entry as `status` and `list` show it. */
export interface DlqEntrySummary {
  seq: number;
  state: DlqEntryState;
  kind: DlqOp['kind'];
  /** Memory id, or `source-[TYPE]->target` for an edge. */
  key: string;
  space: string | null;
  attempts: number;
  enqueuedAt: string;
  nextAttemptAt: string | null;
  lastError: string | null;
  reason: string | null;
  /**
   * The secondary has this write, but an earlier attempt at its key was sent and never answered and may
   * still land over it: it is read back once more at `nextAttemptAt` (see `strayWriteMs`).
   */
  recheck: boolean;
}

/** Journal events, one JSON object per line. `snap` and `mark` (the highest sequence so far) lines are written by compaction. */
export type DlqEvent =
  | { e: 'add'; seq: number; at: number; op: unknown }
  | { e: 'ok' | 'cancel' | 'done' | 'unpark' | 'mark'; seq: number }
  | { e: 'fail'; seq: number; attempts: number; next: number; error: string }
  | { e: 'park'; seq: number; reason: string }
  | { e: 'supersede'; seq: number; by: number }
  | { e: 'recheck'; seq: number; next: number }
  /** Written at close (seq 0): until when a stray write of the key may still land (see `strayWriteMs`). */
  | { e: 'fence'; seq: number; key: string; until: number }
  | {
      e: 'snap';
      seq: number;
      at: number;
      op: unknown;
      state: DlqEntryState;
      attempts: number;
      next: number;
      error: string | null;
      reason: string | null;
      recheck?: boolean;
    };

function float32Base64(values: Float32Array | number[]): string {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
}

/** The op as JSON text for the journal; the embedding as base64 of float32 (exact and compact). */
export function encodeOp(op: DlqOp): string {
  if (op.kind === 'delete') return JSON.stringify(op);
  if (op.kind === 'edge') return JSON.stringify({ kind: 'edge', ...op.edge });
  const { embedding, embeddingText: _text, ...rest } = op.memory; // the text is a cache, 2.5× the bytes
  return JSON.stringify({ kind: 'memory', ...rest, embedding_f32: float32Base64(embedding) });
}

/** Inverse of {@link encodeOp} for a parsed JSON value. */
export function decodeOp(value: unknown): DlqOp {
  const o = value as Record<string, unknown> & { kind: string };
  if (o.kind === 'delete') return { kind: 'delete', space: String(o.space), id: String(o.id) };
  if (o.kind === 'edge') {
    const { kind: _kind, ...edge } = o;
    return { kind: 'edge', edge: edge as unknown as LiveEdge };
  }
  const { kind: _kind, embedding_f32: b64, ...memory } = o;
  return { kind: 'memory', memory: { ...(memory as unknown as Omit<LiveMemory, 'embedding'>), embedding: decodeEmbedding(String(b64)) } };
}

/** Kind, key and space of an op as journal JSON (parsed), without decoding its embedding. */
export function opIdentity(value: unknown): { kind: DlqOp['kind']; key: string; space: string | null } {
  const o = (value ?? {}) as Record<string, unknown>;
  if (o.kind === 'delete') return { kind: 'delete', key: String(o.id), space: typeof o.space === 'string' ? o.space : null };
  if (o.kind === 'edge')
    return {
      kind: 'edge',
      key: `${String(o.source)}-[${String(o.type)}]->${String(o.target)}`,
      space: typeof o.sourceSpace === 'string' ? o.sourceSpace : null,
    };
  return { kind: 'memory', key: String(o.id), space: typeof o.space === 'string' ? o.space : null };
}

/** The key writes are ordered by: only the newest queued write of a key is replayed. */
export function keyIdOf(kind: string, space: string | null, key: string): string {
  return `${kind === 'delete' ? 'memory' : kind}|${space ?? ''}|${key}`; // a delete orders with the memory's writes
}

/** What identifies an op to a human: the memory id or the edge. */
export function opKey(op: DlqOp): { key: string; space: string | null } {
  if (op.kind === 'delete') return { key: op.id, space: op.space };
  if (op.kind === 'memory') return { key: op.memory.id, space: op.memory.space };
  return { key: `${op.edge.source}-[${op.edge.type}]->${op.edge.target}`, space: op.edge.sourceSpace ?? null };
}
