import { EngramClient, type EngramClientOptions } from '../../target/engram-client.js';
import type { engramRequest } from '../../mapping/memory-encoding.js';
import { shardSpaces, spaceOf, type ShardLayout } from '../../mapping/shard.js';
import { own } from '../../shared/own.js';
import type { DedupMap } from '../../dedup/dedup-map.js';
import {
  checkNeighbours,
  confidenceFor,
  holdsVersion,
  resolveEngramUpdateOptions,
  verifyLanded,
  type EngramUpdateOptions,
  type ResolvedEngramUpdateOptions,
} from './engram-update.js';
import {
  embeddingText,
  type ActivationQuery,
  type ActivationResult,
  type EdgeWriteResult,
  type GraphDatabase,
  type LiveEdge,
  type LiveMemory,
  type StoredLiveMemory,
} from '../graph-database.js';

/** Why Engram cannot take an edge (docs/engram-api.md: no HTTP route; gRPC `Associate` stores nothing). */
export const ENGRAM_EDGE_UNSUPPORTED = 'unsupported: Engram has no edge API (no HTTP route; gRPC Associate stores nothing)';

/**
 * The body of Engram's remember request for a live memory: byte for byte what {@link engramRequest} writes
 * (a unit test holds them equal), but from the memory's already printed embedding text, so a dual write
 * prints its 768 numbers once, not once per store.
 */
export function engramRememberBody(memory: LiveMemory, confidence = memory.strength ?? 1): string {
  return (
    `{"id":${JSON.stringify(memory.id)},"memory_space_id":${JSON.stringify(memory.space)},"content":${JSON.stringify(memory.content)},` +
    `"embedding":[${embeddingText(memory)}],"confidence":${confidence},"timestamp":${JSON.stringify(memory.timestamp ?? new Date().toISOString())},` +
    `"memory_type":${JSON.stringify(memory.memoryType ?? 'memory')}}`
  );
}

export interface EngramGraphDatabaseOptions {
  /** An existing client, or options to build one (the adapter then owns and closes it). */
  client: EngramClient | EngramClientOptions;
  /** Metric and log name (default `engram`). */
  name?: string;
  /** How updates are made to land (confidence ladder, neighbour check); see {@link EngramUpdateOptions}. */
  updates?: EngramUpdateOptions;
  /** Read every write back and fail it when it did not land (default true; off: 201 counts, as Engram says). */
  verify?: boolean;
  /**
   * Space → shard count of every sharded space (the backfill's `info.labels[].shards`): a memory of such a
   * space is written and read in `spaceOf(id, layout)`, and `activate` asks every shard. Unlisted spaces
   * are used as they are.
   */
  shards?: Readonly<Record<string, number>>;
  /**
   * The backfill's dedup map (`DedupMap.read(<runDir>/dedup-map.jsonl)`): a read of an id Engram dropped as
   * a near-duplicate answers with its survivor, marked by `servedBy` (the record's `id` stays the one asked).
   */
  dedupMap?: DedupMap;
}

/**
 * The Engram adapter: `remember` with an explicit id, `recall` by embedding for `activate` (similarity
 * only: Engram does not wire spreading into its server), and `createEdge` answering unsupported. The live
 * dual writer should give it a client with few retries and a short timeout: the dead-letter queue does
 * the patient retrying.
 *
 * Engram answers 201 to writes it drops (near-duplicate dedup, also for updates of an id), so a write
 * here is GET, POST, GET: a version Engram already holds is not sent again; an update is sent at a
 * confidence strictly above the stored one (the only way a small edit lands, measured: see
 * engram-update.ts) after checking that it does not land on another memory; and the read-back must show
 * the content and the confidence sent. A write that did not land fails with TARGET_REJECTED and its
 * reason (retriable when the next rung may land; not when it cannot), so the dual writer queues or parks
 * it instead of counting a silent 201.
 */
export class EngramGraphDatabase implements GraphDatabase {
  readonly name: string;
  readonly capabilities = { edges: false, spreading: false } as const;
  readonly client: EngramClient;
  readonly #owned: boolean;
  readonly #updates: ResolvedEngramUpdateOptions;
  readonly #verify: boolean;
  readonly #shards: Readonly<Record<string, number>>;
  readonly #dedupMap: DedupMap | undefined;

  constructor(options: EngramGraphDatabaseOptions) {
    this.name = options.name ?? 'engram';
    this.#updates = resolveEngramUpdateOptions(options.updates);
    this.#verify = options.verify ?? true;
    this.#shards = options.shards ?? {};
    this.#dedupMap = options.dedupMap;
    this.#owned = !(options.client instanceof EngramClient);
    this.client = options.client instanceof EngramClient ? options.client : new EngramClient(options.client);
  }

  /** The layout of `space` (1 shard when it is not sharded). */
  #layout(space: string): ShardLayout {
    return { space, shards: own(this.#shards, space) ?? 1 };
  }

  async createMemory(given: LiveMemory, signal?: AbortSignal): Promise<void> {
    const memory = { ...given, space: spaceOf(given.id, this.#layout(given.space)) };
    if (!this.#verify) {
      await this.client.remember(memory.space, engramRememberBody(memory, Math.min(memory.strength ?? 1, this.#updates.ceiling)), signal);
      return;
    }
    const stored = await this.client.getMemory(memory.space, memory.id, signal);
    if (holdsVersion(stored, memory)) return; // a replay of a write that landed
    const confidence = confidenceFor(memory, stored, this.#updates);
    if (stored !== null || this.#updates.checkNeighbours === 'all') await checkNeighbours(this.client, memory, this.#updates, signal);
    await this.client.remember(memory.space, engramRememberBody(memory, confidence), signal);
    verifyLanded(await this.client.getMemory(memory.space, memory.id, signal), memory, confidence, stored !== null);
  }

  async createEdge(_edge: LiveEdge): Promise<EdgeWriteResult> {
    return { stored: false, reason: ENGRAM_EDGE_UNSUPPORTED };
  }

  async getMemory(space: string, id: string, signal?: AbortSignal): Promise<StoredLiveMemory | null> {
    const shard = spaceOf(id, this.#layout(space));
    const memory = await this.client.getMemory(shard, id, signal);
    if (memory !== null) return { id: memory.id, space, content: memory.content, timestamp: memory.timestamp ?? null, embedding: null };
    // Dropped as a near-duplicate at backfill time: its survivor (same shard: dedup is per space) holds it.
    const dropped = this.#dedupMap?.lookup(shard, id);
    if (dropped === undefined) return null;
    const survivor = await this.client.getMemory(shard, dropped.survivor, signal);
    if (survivor === null) return null;
    return {
      id,
      space,
      content: survivor.content,
      timestamp: survivor.timestamp ?? null,
      embedding: null,
      servedBy: { id: survivor.id, reason: 'near-duplicate', cosine: dropped.cosine },
    };
  }

  async activate(query: ActivationQuery, signal?: AbortSignal): Promise<ActivationResult> {
    const spaces = shardSpaces(this.#layout(query.space));
    if (spaces.length === 1) return { hits: await this.client.recall(query.space, query.embedding, query.k, signal) };
    // Each shard's top k holds every candidate for the overall top k: merge by score, best first.
    const perShard = await Promise.all(spaces.map((s) => this.client.recall(s, query.embedding, query.k, signal)));
    return {
      hits: perShard
        .flat()
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, query.k),
    };
  }

  async close(): Promise<void> {
    if (this.#owned) await this.client.close();
  }
}
