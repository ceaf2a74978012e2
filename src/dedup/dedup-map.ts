/**
 * The run's dedup map, `<runDir>/dedup-map.jsonl`: one line per memory the target is predicted to drop as a
 * near-duplicate, `{"space","id","survivor","cosine","label","reason"}`. `reason` is `skipped` (the write
 * was dropped for `survivor`) or `replaced` (a later write of higher confidence, `survivor`, took its
 * place). Validation reads it to tell an expected drop from a loss; the live Engram adapter to answer a
 * read of a dropped id with its survivor.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEDUP_MAP_FILE = 'dedup-map.jsonl';

export interface DedupMapEntry {
  space: string;
  /** The memory the target does not hold. */
  id: string;
  /** The memory that holds it instead. */
  survivor: string;
  cosine: number;
  label: string;
  reason: 'skipped' | 'replaced';
}

export function dedupMapPath(runDir: string): string {
  return join(runDir, DEDUP_MAP_FILE);
}

/** One line of the map (with its newline). */
export function dedupMapLine(entry: DedupMapEntry): string {
  return `${JSON.stringify({ space: entry.space, id: entry.id, survivor: entry.survivor, cosine: round(entry.cosine), label: entry.label, reason: entry.reason })}\n`;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Dropped ids by space, survivors resolved through replacements (a survivor replaced later points on). */
export class DedupMap {
  readonly #bySpace = new Map<string, Map<string, DedupMapEntry>>();
  /** False when the run wrote no map (or it could not be read). */
  readonly found: boolean;
  #survivors: Set<string> | null = null;

  constructor(entries: readonly DedupMapEntry[], found = true) {
    this.found = found;
    for (const e of entries) {
      let space = this.#bySpace.get(e.space);
      if (space === undefined) {
        space = new Map();
        this.#bySpace.set(e.space, space);
      }
      space.set(e.id, e);
    }
  }

  /** Reads `<runDir>/dedup-map.jsonl` (or `path`); a missing file is an empty map with `found` false. */
  static async read(path: string): Promise<DedupMap> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new DedupMap([], false);
      throw err;
    }
    const entries: DedupMapEntry[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let e: DedupMapEntry;
      try {
        e = JSON.parse(line) as DedupMapEntry;
      } catch {
        throw new Error(`${path} line ${i + 1}: not JSON`);
      }
      if (typeof e.space !== 'string' || typeof e.id !== 'string' || typeof e.survivor !== 'string')
        throw new Error(`${path} line ${i + 1}: field ${typeof e.space !== 'string' ? 'space' : typeof e.id !== 'string' ? 'id' : 'survivor'} is not a string`);
      entries.push(e);
    });
    return new DedupMap(entries);
  }

  /** Dropped memories in all spaces. */
  get size(): number {
    let n = 0;
    for (const s of this.#bySpace.values()) n += s.size;
    return n;
  }

  /** Dropped memories per space. */
  countsBySpace(): Map<string, number> {
    return new Map([...this.#bySpace].map(([space, m]) => [space, m.size]));
  }

  /** The entry of a dropped id, with `survivor` followed to the memory that holds it now; else undefined. */
  lookup(space: string, id: string): DedupMapEntry | undefined {
    const map = this.#bySpace.get(space);
    const first = map?.get(id);
    if (first === undefined) return undefined;
    let survivor = first.survivor;
    const seen = new Set([id]);
    for (let next = map!.get(survivor); next !== undefined && !seen.has(survivor); next = map!.get(survivor)) {
      seen.add(survivor);
      survivor = next.survivor;
    }
    return { ...first, survivor };
  }

  /** Is `id` the survivor of some dropped memory of `space` (directly)? */
  isSurvivor(space: string, id: string): boolean {
    if (this.#survivors === null) {
      this.#survivors = new Set();
      for (const [s, map] of this.#bySpace) for (const e of map.values()) this.#survivors.add(`${s}\u0000${e.survivor}`);
    }
    return this.#survivors.has(`${space}\u0000${id}`);
  }
}
