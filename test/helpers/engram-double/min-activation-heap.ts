/**
 * TEST DOUBLE of the Engram HTTP server (not Engram): indexed binary min-heap of slots ordered by
 * activation (the double defines activation = confidence), ties broken by the older write first.
 * It picks the capacity-eviction victim in O(log n) instead of scanning the space.
 */

/** Reads the ordering keys of a slot. */
export interface ActivationKeys {
  activation(slot: number): number;
  sequence(slot: number): number;
}

/** Min-heap of slots with O(log n) push, remove and re-key. */
export class MinActivationHeap {
  #heap: Int32Array;
  #pos: Int32Array;
  #size = 0;
  readonly #keys: ActivationKeys;

  constructor(initialSlots: number, keys: ActivationKeys) {
    this.#heap = new Int32Array(Math.max(1, initialSlots));
    this.#pos = new Int32Array(Math.max(1, initialSlots)).fill(-1);
    this.#keys = keys;
  }

  get size(): number {
    return this.#size;
  }

  /** Make room for slots `0 .. slots-1`. */
  grow(slots: number): void {
    if (slots <= this.#pos.length) return;
    const heap = new Int32Array(slots);
    const pos = new Int32Array(slots).fill(-1);
    heap.set(this.#heap);
    pos.set(this.#pos);
    this.#heap = heap;
    this.#pos = pos;
  }

  /** The slot with the lowest activation (oldest on ties), or -1 when empty. */
  peek(): number {
    return this.#size === 0 ? -1 : this.#heap[0]!;
  }

  push(slot: number): void {
    const i = this.#size++;
    this.#heap[i] = slot;
    this.#pos[slot] = i;
    this.#up(i);
  }

  remove(slot: number): void {
    const i = this.#pos[slot]!;
    if (i < 0) return;
    const last = this.#heap[--this.#size]!;
    this.#pos[slot] = -1;
    if (i === this.#size) return;
    this.#heap[i] = last;
    this.#pos[last] = i;
    this.#down(this.#up(i));
  }

  /** Restore order after the slot's activation changed. */
  update(slot: number): void {
    const i = this.#pos[slot]!;
    if (i >= 0) this.#down(this.#up(i));
  }

  #less(a: number, b: number): boolean {
    const ka = this.#keys.activation(a);
    const kb = this.#keys.activation(b);
    return ka < kb || (ka === kb && this.#keys.sequence(a) < this.#keys.sequence(b));
  }

  #swap(i: number, j: number): void {
    const a = this.#heap[i]!;
    const b = this.#heap[j]!;
    this.#heap[i] = b;
    this.#heap[j] = a;
    this.#pos[b] = i;
    this.#pos[a] = j;
  }

  #up(i: number): number {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(this.#heap[i]!, this.#heap[parent]!)) break;
      this.#swap(i, parent);
      i = parent;
    }
    return i;
  }

  #down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.#size && this.#less(this.#heap[l]!, this.#heap[m]!)) m = l;
      if (r < this.#size && this.#less(this.#heap[r]!, this.#heap[m]!)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
