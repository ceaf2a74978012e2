import { joinNumbers } from '../mapping/memory-encoding.js';
import type { EdgeRecord, MemoryRecord } from '../mapping/types.js';

/**
 * The article's `GraphDatabase` trait: the one interface the live coordinators (dual write, shadow read,
 * cutover router) see, with one adapter per store (Neo4j, Engram). Writes are idempotent upserts by id,
 * so a write that is replayed (dead-letter queue, crash recovery) never duplicates anything.
 */

/**
 * A memory as a service writes it. The fields of the backfill's {@link MemoryRecord} a live write needs;
 * `embedding` must hold 768 finite numbers.
 */
export interface LiveMemory {
  id: string;
  space: string;
  content: string;
  embedding: Float32Array | number[];
  /** RFC 3339; default: the time of the write. */
  timestamp?: string;
  memoryType?: string;
  /** Engram's `confidence` (the article's strength, initialised to 1.0). Default 1. */
  strength?: number;
  /**
   * The embedding printed as comma-joined decimals, when the caller already has it (it must match
   * `embedding`). Both adapters need this text (Engram's JSON body, the Neo4j write); the dual writer
   * prints it once per write and hands it to both. Never stored in the dead-letter journal.
   */
  embeddingText?: string;
  /**
   * When the dual writer logged this write (ms since the epoch). The Neo4j adapter stores it with the
   * version as `_live_written_at`, so the backfill can tell a record the live path wrote after it read it.
   */
  writtenAt?: number;
}

/** The embedding as comma-joined decimals: the memory's own text when it has one, else printed now. */
export function embeddingText(memory: Pick<LiveMemory, 'embedding' | 'embeddingText'>): string {
  return memory.embeddingText ?? joinNumbers(memory.embedding);
}

/** An edge (the article's Edge struct), as mapped by the backfill's edge mapper. */
export type LiveEdge = Pick<EdgeRecord, 'source' | 'target' | 'type' | 'weight'> & Partial<Pick<EdgeRecord, 'sourceSpace' | 'targetSpace'>>;

/** `activate()`'s query: top-k activation for a query embedding within a memory space. */
export interface ActivationQuery {
  space: string;
  embedding: Float32Array | number[];
  k: number;
  /** For sticky cutover routing: reads with the same key (e.g. a user id) always go to the same store. */
  routingKey?: string;
}

export interface ActivationHit {
  id: string;
  /** Cosine similarity in [-1, 1] (Engram clamps at 0); after spreading, the spread activation. */
  score: number;
}

export interface ActivationResult {
  /** Best first, at most `k`. */
  hits: ActivationHit[];
}

/** What a store did with an edge. Engram has no edge API: it answers `unsupported` and stores nothing. */
export type EdgeWriteResult = { stored: true } | { stored: false; reason: string };

/** A memory read back by id. Engram's GET does not return the embedding. */
export interface StoredLiveMemory {
  id: string;
  space: string;
  content: string;
  timestamp: string | null;
  embedding: Float32Array | null;
  /**
   * Set when the store does not hold `id` itself but a near-duplicate that the backfill's dedup map names
   * as its survivor (Engram dropped the write): `content` and `timestamp` are the survivor's.
   */
  servedBy?: { id: string; reason: 'near-duplicate'; cosine: number };
}

export interface StoreCapabilities {
  edges: boolean;
  spreading: boolean;
}

/** One store behind the live coordinators. Every method may take an AbortSignal to bound its time. */
export interface GraphDatabase {
  /** A short name for logs and metric labels, e.g. `neo4j` or `engram`. */
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** Idempotent upsert by `id` (and space). */
  createMemory(memory: LiveMemory, signal?: AbortSignal): Promise<void>;
  /** Idempotent upsert of the edge between two memories; `{stored: false}` when the store cannot hold edges. */
  createEdge(edge: LiveEdge, signal?: AbortSignal): Promise<EdgeWriteResult>;
  /** The memory, or null when the store has none under that id. */
  getMemory(space: string, id: string, signal?: AbortSignal): Promise<StoredLiveMemory | null>;
  /**
   * Optional bulk existence check: which of `ids` (of one space) the store holds. The dead-letter replayer
   * uses it to settle in-doubt writes after a crash in one round trip per batch instead of one per id.
   */
  existing?(space: string, ids: string[], signal?: AbortSignal): Promise<Set<string>>;
  /**
   * Optional bulk read: the stored version of each of `ids` (of one space) the store holds. The
   * dead-letter replayer settles in-doubt writes by comparing versions, in one round trip per batch.
   */
  getMemories?(space: string, ids: string[], signal?: AbortSignal): Promise<Map<string, StoredLiveMemory>>;
  /**
   * Optional: deletes the memory (and its edges). A store that keeps tombstones records the deletion
   * in the same transaction. Engram has no delete.
   */
  deleteMemory?(space: string, id: string, signal?: AbortSignal): Promise<void>;
  /** Top-k activation for a query embedding. */
  activate(query: ActivationQuery, signal?: AbortSignal): Promise<ActivationResult>;
  close(): Promise<void>;
}

/** The memory as a backfill {@link MemoryRecord} would carry it, for code that already has one. */
export function liveMemoryFromRecord(
  record: Pick<MemoryRecord, 'id' | 'space' | 'content' | 'embedding' | 'timestamp' | 'memoryType' | 'strength'>,
): LiveMemory {
  return {
    id: record.id,
    space: record.space,
    content: record.content,
    embedding: record.embedding,
    timestamp: record.timestamp,
    memoryType: record.memoryType,
    strength: record.strength,
  };
}

/** The stored versions of `ids`: one bulk read when the store offers it, else `concurrency` reads at a time. */
export async function readVersions(
  store: GraphDatabase,
  space: string,
  ids: string[],
  concurrency: number,
  signal?: AbortSignal,
): Promise<Map<string, StoredLiveMemory>> {
  if (store.getMemories) return store.getMemories(space, ids, signal);
  const out = new Map<string, StoredLiveMemory>();
  for (let i = 0; i < ids.length; i += concurrency) {
    const slice = ids.slice(i, i + concurrency);
    const found = await Promise.all(slice.map((id) => store.getMemory(space, id, signal)));
    found.forEach((m) => m !== null && out.set(m.id, m));
  }
  return out;
}

/**
 * Whether `stored` is the version `memory` wrote: same content, same timestamp (the dual writer fixes
 * one per write), and the same embedding compared as float32 (what the journal keeps) when the store
 * returns one.
 */
export function sameVersion(stored: StoredLiveMemory | null, memory: LiveMemory): boolean {
  if (stored === null || stored.content !== memory.content) return false;
  if (memory.timestamp !== undefined && stored.timestamp !== null && Date.parse(stored.timestamp) !== Date.parse(memory.timestamp)) return false;
  if (stored.embedding === null) return true;
  if (stored.embedding.length !== memory.embedding.length) return false;
  for (let i = 0; i < stored.embedding.length; i++) if (Math.fround(stored.embedding[i]!) !== Math.fround(memory.embedding[i]!)) return false;
  return true;
}
