/**
 * A first-in-first-out queue of bounded size between one producer and one consumer: `push` waits while
 * the queue is full (backpressure to the reader), `shift` waits while it is empty, `close` ends it.
 */
export class BoundedQueue<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #closed = false;
  #notify: (() => void) | null = null;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  #wake(): void {
    const notify = this.#notify;
    this.#notify = null;
    notify?.();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => (this.#notify = resolve));
  }

  async push(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#closed) await this.#wait();
    this.#items.push(item);
    this.#wake();
  }

  /** The next item, or undefined once the queue is closed and drained. */
  async shift(): Promise<T | undefined> {
    while (this.#items.length === 0 && !this.#closed) await this.#wait();
    const item = this.#items.shift();
    this.#wake();
    return item;
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  get length(): number {
    return this.#items.length;
  }
}
