import { TargetError } from '../../errors.js';
import type { EngramClient, EngramMemory } from '../../target/engram-client.js';
import type { LiveMemory } from '../graph-database.js';

/**
 * How a write becomes an update that really lands on Engram, and how it is proved. Measured on the real
 * server (engram 0.1.0, `bench/engram-update-probe.mjs`, 2026-11-30):
 *
 * - A small edit (cosine 0.995 to the stored version) sent at the stored confidence (0.5) answered 201
 *   and was dropped; at 0.6, 0.601, 0.6011, 0.60111 each landed (steps of 0.1 down to 0.00001); a ladder
 *   of 30 small edits at +0.000001 each: 30 of 30 landed. A content-only edit (same embedding) at +0.002
 *   landed. The stored confidence reads back exactly (as float32) with GET.
 * - The outcome depends on history: the server caches the similarity of the (id, id) pair the first
 *   time an id is updated. After a first small edit (0.995 cached), even an edit at cosine -0.07 at the
 *   same confidence was dropped; after a first big edit, later small edits at the same confidence
 *   landed. Only a strictly higher confidence landed in both states.
 * - Confidence 1.0 is a ceiling: a small edit at 1.0 over 1.0 was dropped, 1.00001 answered 201 and was
 *   dropped too. So first writes go in at most at `ceiling` (default 0.9), leaving 10,000 rungs of
 *   0.00001 for updates.
 * - An edit that moves memory A near memory B (cosine ≈ 0.99) at a higher confidence landed on A, and B
 *   disappeared (GET 404): the update path checks the new embedding's neighbours first and refuses such
 *   an update (it would be dropped or destroy B).
 * - Cost: POST alone 5.3 ms; GET + POST + GET 13.0 ms per write (small space, same machine).
 */
export interface EngramUpdateOptions {
  /** Highest confidence of a first write; the rest is left for updates (default 0.9). */
  ceiling?: number;
  /** Confidence added per update over the stored one (default 0.00001; float32 resolves 6e-8 near 1). */
  step?: number;
  /** Refuse an update whose new embedding is this close (cosine) to another memory of the space (default 0.95, Engram's dedup threshold); 0 turns the check off. */
  neighbourCosine?: number;
  /**
   * Which writes get the neighbour check: `updates` (default) or `all`. A first write near another
   * memory at a lower confidence is dropped (the read-back catches it), but at a higher one it replaces
   * that memory, which only the check before the write sees; `all` pays one recall per write for it.
   */
  checkNeighbours?: 'updates' | 'all';
}

export type ResolvedEngramUpdateOptions = Required<EngramUpdateOptions>;

export function resolveEngramUpdateOptions(options: EngramUpdateOptions = {}): ResolvedEngramUpdateOptions {
  return Object.freeze({
    ceiling: options.ceiling ?? 0.9,
    step: options.step ?? 0.00001,
    neighbourCosine: options.neighbourCosine ?? 0.95,
    checkNeighbours: options.checkNeighbours ?? 'updates',
  });
}

/** Whether Engram already holds this version (a replay of a write that landed): same content and time. */
export function holdsVersion(stored: EngramMemory | null, memory: LiveMemory): boolean {
  if (stored === null || stored.content !== memory.content) return false;
  return memory.timestamp === undefined || Date.parse(stored.timestamp) === Date.parse(memory.timestamp);
}

/** The confidence to send: the memory's own up to the ceiling; for an update strictly above the stored one. */
export function confidenceFor(memory: LiveMemory, stored: EngramMemory | null, o: ResolvedEngramUpdateOptions): number {
  const own = Math.min(memory.strength ?? 1, o.ceiling);
  if (stored === null) return own;
  const next = Math.fround(stored.confidence) + o.step;
  if (next > 1) {
    throw new TargetError(
      'TARGET_REJECTED',
      `memory ${memory.id} (space ${memory.space}): Engram holds it at confidence ${stored.confidence}; an update lands only at a strictly higher one, and 1.0 is the ceiling: this update cannot be applied`,
      { retriable: false, details: { id: memory.id, storedConfidence: stored.confidence } },
    );
  }
  return Math.max(own, next);
}

/** Refuses an update whose new embedding is a near-duplicate of another memory (Engram would drop it, or replace that memory). */
export async function checkNeighbours(client: EngramClient, memory: LiveMemory, o: ResolvedEngramUpdateOptions, signal?: AbortSignal): Promise<void> {
  if (!(o.neighbourCosine > 0)) return;
  const hits = await client.recall(memory.space, memory.embedding, 3, signal);
  const near = hits.find((h) => h.id !== memory.id && h.score >= o.neighbourCosine);
  if (near === undefined) return;
  throw new TargetError(
    'TARGET_REJECTED',
    `memory ${memory.id} (space ${memory.space}): the new embedding is at cosine ${near.score.toFixed(3)} to memory ${near.id}; Engram would drop this update or replace ${near.id} with it`,
    { retriable: false, details: { id: memory.id, neighbour: near.id, cosine: near.score } },
  );
}

/** Reads the memory back after a 201 and says what went wrong when the write did not land. */
export function verifyLanded(stored: EngramMemory | null, memory: LiveMemory, confidence: number, update: boolean): void {
  if (stored === null) {
    throw new TargetError(
      'TARGET_REJECTED',
      `memory ${memory.id} (space ${memory.space}): Engram answered 201 but holds nothing under this id (deduplicated into a near-duplicate memory)`,
      { retriable: false, details: { id: memory.id } },
    );
  }
  if (stored.content === memory.content && Math.fround(stored.confidence) === Math.fround(confidence)) return;
  // an update the server dropped: the next attempt reads the stored confidence again and climbs above it
  throw new TargetError(
    'TARGET_REJECTED',
    `memory ${memory.id} (space ${memory.space}): Engram answered 201 but kept ${update ? 'the previous version' : 'another version'} (confidence ${stored.confidence}, sent ${confidence}); the ${update ? 'update' : 'write'} did not land`,
    { retriable: true, details: { id: memory.id, storedConfidence: stored.confidence, sentConfidence: confidence } },
  );
}
