/**
 * An in-memory GraphDatabase for unit tests of the live coordinators: exact cosine top-k, a record of
 * every call, and switchable faults (down, failure rate, latency). Integration tests use the real Neo4j
 * and the Engram double instead.
 */
import { TargetError } from '../../../src/errors.js';
import { cosine } from '../../../src/shared/cosine.js';
import type {
  ActivationQuery,
  ActivationResult,
  EdgeWriteResult,
  GraphDatabase,
  LiveEdge,
  LiveMemory,
  StoredLiveMemory,
} from '../../../src/live/graph-database.js';

/** How a refused connection fails (the cause of an `engram down` error). */
export const REFUSED = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7432'), { code: 'ECONNREFUSED' });

export interface MemoryStoreFaults {
  /** Every call fails with a retriable error. */
  down?: boolean;
  /** Share of calls failing with a retriable error, drawn from `random`. */
  errorRate?: number;
  /** Writes fail with a non-retriable error for these ids. */
  rejectIds?: Set<string>;
  latencyMs?: number;
}

export class MemoryGraphDatabase implements GraphDatabase {
  readonly name: string;
  readonly capabilities;
  readonly memories = new Map<string, LiveMemory>();
  readonly edges = new Map<string, LiveEdge>();
  readonly calls: Array<{ method: string; id?: string }> = [];
  faults: MemoryStoreFaults = {};
  writeCount = new Map<string, number>();
  random: () => number = Math.random;

  constructor(name: string, options: { edges?: boolean } = {}) {
    this.name = name;
    this.capabilities = { edges: options.edges ?? true, spreading: false };
  }

  async #fault(id?: string, write = false): Promise<void> {
    const f = this.faults;
    if (f.latencyMs) await new Promise((r) => setTimeout(r, f.latencyMs));
    if (f.down || (f.errorRate !== undefined && this.random() < f.errorRate)) {
      // never applied: like a refused connection, nothing of this write can land later
      throw new TargetError('TARGET_UNAVAILABLE', `${this.name} is down`, { retriable: true, cause: REFUSED });
    }
    if (write && id !== undefined && f.rejectIds?.has(id)) throw new TargetError('TARGET_REJECTED', `${this.name} rejects ${id}`, { status: 400 });
  }

  async createMemory(memory: LiveMemory): Promise<void> {
    this.calls.push({ method: 'createMemory', id: memory.id });
    await this.#fault(memory.id, true);
    this.memories.set(memory.id, { ...memory, embedding: Float32Array.from(memory.embedding) });
    this.writeCount.set(memory.id, (this.writeCount.get(memory.id) ?? 0) + 1);
  }

  async createEdge(edge: LiveEdge): Promise<EdgeWriteResult> {
    this.calls.push({ method: 'createEdge', id: edge.source });
    await this.#fault();
    if (!this.capabilities.edges) return { stored: false, reason: 'unsupported' };
    this.edges.set(`${edge.source}-${edge.type}-${edge.target}`, edge);
    return { stored: true };
  }

  async getMemory(space: string, id: string): Promise<StoredLiveMemory | null> {
    this.calls.push({ method: 'getMemory', id });
    await this.#fault();
    const m = this.memories.get(id);
    if (m === undefined || m.space !== space) return null;
    return { id, space, content: m.content, timestamp: m.timestamp ?? null, embedding: Float32Array.from(m.embedding) };
  }

  async activate(query: ActivationQuery): Promise<ActivationResult> {
    this.calls.push({ method: 'activate' });
    await this.#fault();
    const hits = [...this.memories.values()]
      .filter((m) => m.space === query.space)
      .map((m) => ({ id: m.id, score: cosine(m.embedding, query.embedding) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, query.k);
    return { hits };
  }

  async close(): Promise<void> {}
}

/** A seeded 768-d gaussian-ish vector (sum of uniforms), deterministic per seed. */
export function vector(seed: number, dim = 768): Float32Array {
  let s = seed * 2654435761 + 1;
  const next = (): number => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return ((s >>> 0) % 1_000_000) / 1_000_000;
  };
  return Float32Array.from({ length: dim }, () => next() + next() + next() - 1.5);
}

export function memory(i: number, space = 'live_test'): LiveMemory {
  return { id: `m${i}`, space, content: `memory number ${i}`, embedding: vector(i + 1), timestamp: new Date(1_700_000_000_000 + i * 1000).toISOString() };
}
