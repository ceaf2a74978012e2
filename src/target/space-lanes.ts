/**
 * Which record a free lane sends next, when writes span several spaces (shards, or labels sharing a
 * run). The real Engram server scans a space under its lock for every write (docs: engram-api.md), so
 * requests to one space are served one at a time, and a space with nothing in flight is capacity lost.
 * Taking records in the batch's order leaves that to chance: with a hash spreading records over two
 * shards, 4 lanes are all on one shard about a fifth of the time (measured on the real server: 144-160
 * writes/s against 164-185 with lanes spread over the spaces, same requests).
 *
 * So a free lane takes the next record of the space with the fewest requests in flight (ties: the one
 * whose next record comes first in the batch). Each space's records still leave in the batch's order,
 * which is the order the near-duplicate predictor settles them in (it works space by space). The
 * in-flight counts can be shared with the previous batch's last requests, which are still on the wire.
 */
export class SpaceLanes {
  readonly #queues: Array<{ space: string; rows: number[]; next: number }>;
  readonly #inFlight: Map<string, number>;

  /** `spaces[i]` is record i's space; `inFlight` counts requests per space (shared across batches). */
  constructor(spaces: readonly string[], inFlight: Map<string, number> = new Map()) {
    this.#inFlight = inFlight;
    const queueOf = new Map<string, number>();
    this.#queues = [];
    for (let i = 0; i < spaces.length; i++) {
      let q = queueOf.get(spaces[i]!);
      if (q === undefined) {
        q = this.#queues.length;
        queueOf.set(spaces[i]!, q);
        this.#queues.push({ space: spaces[i]!, rows: [], next: 0 });
      }
      this.#queues[q]!.rows.push(i);
    }
  }

  /**
   * Up to `max` records of one space, in the batch's order, counted in flight in their space until
   * {@link release}; null when every record has been taken.
   */
  take(max: number): { space: string; rows: number[] } | null {
    let best: { space: string; rows: number[]; next: number } | null = null;
    let bestLoad = 0;
    for (const c of this.#queues) {
      if (c.next >= c.rows.length) continue;
      const load = this.#inFlight.get(c.space) ?? 0;
      if (best === null || load < bestLoad || (load === bestLoad && c.rows[c.next]! < best.rows[best.next]!)) {
        best = c;
        bestLoad = load;
      }
    }
    if (best === null) return null;
    const rows = best.rows.slice(best.next, best.next + Math.max(1, max));
    best.next += rows.length;
    this.#inFlight.set(best.space, bestLoad + 1);
    return { space: best.space, rows };
  }

  /** The lane that took from `space` is done with it. */
  release(space: string): void {
    const n = (this.#inFlight.get(space) ?? 1) - 1;
    if (n > 0) this.#inFlight.set(space, n);
    else this.#inFlight.delete(space);
  }

  /** Records not yet taken. */
  get remaining(): number {
    let n = 0;
    for (const q of this.#queues) n += q.rows.length - q.next;
    return n;
  }
}
