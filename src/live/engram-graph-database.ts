import { EngramClient, type EngramClientOptions } from '../target/engram-client.js';
import type { engramRequest } from '../mapping/memory-encoding.js';
import { embeddingText, type ActivationQuery, type ActivationResult, type EdgeWriteResult, type GraphDatabase, type LiveEdge, type LiveMemory, type StoredLiveMemory } from './graph-database.js';

/** Why Engram cannot take an edge (docs/engram-api.md: no HTTP route; gRPC `Associate` stores nothing). */
export const ENGRAM_EDGE_UNSUPPORTED = 'unsupported: Engram has no edge API (no HTTP route; gRPC Associate stores nothing)';

/**
 * The body of Engram's remember request for a live memory: byte for byte what {@link engramRequest} writes
 * (a unit test holds them equal), but from the memory's already printed embedding text, so a dual write
 * prints its 768 numbers once, not once per store.
 */
export function engramRememberBody(memory: LiveMemory): string {
  return (
    `{"id":${JSON.stringify(memory.id)},"memory_space_id":${JSON.stringify(memory.space)},"content":${JSON.stringify(memory.content)},` +
    `"embedding":[${embeddingText(memory)}],"confidence":${memory.strength ?? 1},"timestamp":${JSON.stringify(memory.timestamp ?? new Date().toISOString())},` +
    `"memory_type":${JSON.stringify(memory.memoryType ?? 'memory')}}`
  );
}

export interface EngramGraphDatabaseOptions {
  /** An existing client, or options to build one (the adapter then owns and closes it). */
  client: EngramClient | EngramClientOptions;
  /** Metric and log name (default `engram`). */
  name?: string;
}

/**
 * The Engram adapter: `remember` with an explicit id (an upsert: re-sending an id with the same embedding
 * is a no-op on the server), `recall` by embedding for `activate` (similarity only: Engram does not wire
 * spreading into its server), and `createEdge` answering unsupported. The live dual writer should give it
 * a client with few retries and a short timeout: the dead-letter queue does the patient retrying.
 */
export class EngramGraphDatabase implements GraphDatabase {
  readonly name: string;
  readonly capabilities = { edges: false, spreading: false } as const;
  readonly client: EngramClient;
  readonly #owned: boolean;

  constructor(options: EngramGraphDatabaseOptions) {
    this.name = options.name ?? 'engram';
    this.#owned = !(options.client instanceof EngramClient);
    this.client = options.client instanceof EngramClient ? options.client : new EngramClient(options.client);
  }

  async createMemory(memory: LiveMemory, signal?: AbortSignal): Promise<void> {
    await this.client.remember(memory.space, engramRememberBody(memory), signal);
  }

  async createEdge(_edge: LiveEdge): Promise<EdgeWriteResult> {
    return { stored: false, reason: ENGRAM_EDGE_UNSUPPORTED };
  }

  async getMemory(space: string, id: string, signal?: AbortSignal): Promise<StoredLiveMemory | null> {
    const memory = await this.client.getMemory(space, id, signal);
    if (memory === null) return null;
    return { id: memory.id, space, content: memory.content, timestamp: memory.timestamp ?? null, embedding: null };
  }

  async activate(query: ActivationQuery, signal?: AbortSignal): Promise<ActivationResult> {
    const hits = await this.client.recall(query.space, query.embedding, query.k, signal);
    return { hits };
  }

  async close(): Promise<void> {
    if (this.#owned) await this.client.close();
  }
}
