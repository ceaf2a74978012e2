/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): the registry of memory spaces and the
 * inspection API tests use to look behind the HTTP surface (counts, stored embeddings, seeding).
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { MemorySpace, type MemorySpaceSettings } from './memory-space.js';
import { EMBEDDING_DIM, type StoredMemory } from './types.js';

const SPACE_ID = /^[a-z0-9_-]{3,64}$/;

/** True when `id` is a valid memory space id (3-64 chars of `[a-z0-9_-]`). */
export function isValidSpaceId(id: string): boolean {
  return SPACE_ID.test(id);
}

/** All spaces of one double; any valid id is created on first use, `default` exists from the start. */
export class EngramDoubleStore {
  readonly #spaces = new Map<string, MemorySpace>();
  readonly #settings: MemorySpaceSettings;

  constructor(settings: MemorySpaceSettings) {
    this.#settings = settings;
    this.space('default');
  }

  /** The space `id`, created when absent (the caller validated the id). */
  space(id: string): MemorySpace {
    let space = this.#spaces.get(id);
    if (space === undefined) {
      space = new MemorySpace(id, this.#settings);
      this.#spaces.set(id, space);
    }
    return space;
  }

  /** Ids of every space created so far. */
  spaces(): string[] {
    return [...this.#spaces.keys()];
  }

  /** Memories held by `space` (0 when it does not exist; does not create it). */
  count(space: string): number {
    return this.#spaces.get(space)?.count ?? 0;
  }

  /** The memory `id` of `space` with its embedding, or undefined. */
  get(space: string, id: string): StoredMemory | undefined {
    return this.#spaces.get(space)?.get(id);
  }

  /** Every memory of `space` in storage order. */
  list(space: string, withEmbeddings = false): StoredMemory[] {
    return this.#spaces.get(space)?.list(0, Number.MAX_SAFE_INTEGER, withEmbeddings) ?? [];
  }

  /** Drop every space (`default` is recreated empty). */
  clear(): void {
    this.#spaces.clear();
    this.space('default');
  }

  /**
   * Fill `space` with `count` random unit-Gaussian memories (ids `<prefix><n>`, confidence 0.7),
   * through the same remember path as HTTP writes. For benchmarks that need a full space fast.
   */
  seed(space: string, count: number, options: { seed?: number; idPrefix?: string } = {}): number {
    const target = this.space(space);
    const rng = xoroshiro128plus(options.seed ?? 1);
    const prefix = options.idPrefix ?? 'seed_';
    const embedding = new Float32Array(EMBEDDING_DIM);
    const start = target.count;
    for (let n = 0; n < count; n++) {
      fillGaussian(embedding, () => uniformFloat64(rng));
      target.remember({ id: `${prefix}${n}`, content: `seeded memory ${n}`, embedding, confidence: 0.7, timestampMs: Date.now() });
    }
    return target.count - start;
  }
}

/** Fill `out` with standard normal values (Box-Muller) from a uniform [0, 1) source. */
export function fillGaussian(out: Float32Array, uniform: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
}
