/**
 * Space sharding: a label too big for one Engram space (or listed in `mapping.shards`) is spread over
 * spaces `{space}-0` … `{space}-{N-1}`. A memory's shard is a pure function of its memory id, so every
 * reader (backfill worker, validation, load, checklist, live adapter) finds it with {@link spaceOf}.
 *
 * Rule: FNV-1a (32 bit) over the UTF-8 bytes of the memory id, mixed by MurmurHash3's 32-bit finalizer
 * (fmix32), as an unsigned integer, modulo N. The finalizer matters: FNV-1a alone leaves sequential ids
 * (`Person:1`, `Person:2`, …) up to 18% off balance across shards; mixed, within a few percent.
 */

/** Where one label's memories go: its space, and how many shards it is spread over (1 = not sharded). */
export interface ShardLayout {
  space: string;
  shards: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text`; an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** MurmurHash3's fmix32: spreads every input bit over every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shard hash of a memory id: fmix32(FNV-1a 32 of its UTF-8 bytes). */
export function shardHash(memoryId: string): number {
  return fmix32(fnv1a32(memoryId));
}

/** The space of shard `n` of `space`. */
export function shardSpace(space: string, n: number): string {
  return `${space}-${n}`;
}

/** Every space a layout writes into, in shard order (just `space` when not sharded). */
export function shardSpaces(layout: ShardLayout): string[] {
  if (layout.shards <= 1) return [layout.space];
  return Array.from({ length: layout.shards }, (_, n) => shardSpace(layout.space, n));
}

/** The space that holds memory `memoryId` of a label laid out as `layout`. */
export function spaceOf(memoryId: string, layout: ShardLayout): string {
  if (layout.shards <= 1) return layout.space;
  return shardSpace(layout.space, shardHash(memoryId) % layout.shards);
}

/**
 * How many shards a label of `nodes` nodes needs: the explicit count when given, else
 * ceil(nodes / (fill × capacity)) when that exceeds 1, else 1 (an unbounded target never shards itself).
 */
export function shardCount(nodes: number, capacity: number | null, fill: number, explicit?: number): number {
  if (explicit !== undefined) return explicit;
  if (capacity === null) return 1;
  const perShard = Math.max(1, Math.floor(fill * capacity));
  return nodes > perShard ? Math.ceil(nodes / perShard) : 1;
}
