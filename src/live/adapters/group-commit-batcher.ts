import { isRetriable } from '../../errors.js';

/**
 * Group commit: callers submit one item each and await it; items that arrive while `maxInFlight` flushes
 * are running wait and go out together in the next flush (at most `maxBatch` items). Under light load a
 * write goes out alone at once; under heavy load writes batch themselves, so one transaction per write
 * never caps throughput and no fixed batching delay is added to latency.
 */
export interface GroupCommitOptions<T> {
  /** Writes the items; resolves when they are durable in the store. */
  flush: (items: T[]) => Promise<void>;
  /** Largest batch (default 250). */
  maxBatch?: number;
  /** Flushes running at once (default 2). */
  maxInFlight?: number;
  /**
   * Called when a batch of more than one item failed; return true to retry the items one by one so a
   * single bad item fails alone (default: retry singly when the error is not retriable).
   */
  splitOnError?: (err: unknown) => boolean;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommitBatcher<T> {
  readonly #options: Required<GroupCommitOptions<T>>;
  readonly #queue: Array<Pending<T>> = [];
  #inFlight = 0;

  constructor(options: GroupCommitOptions<T>) {
    this.#options = {
      flush: options.flush,
      maxBatch: options.maxBatch ?? 250,
      maxInFlight: options.maxInFlight ?? 2,
      splitOnError: options.splitOnError ?? ((err) => !isRetriable(err)),
    };
  }

  /** Items waiting for a flush. */
  get queued(): number {
    return this.#queue.length;
  }

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #run(batch: Array<Pending<T>>): Promise<void> {
    try {
      await this.#options.flush(batch.map((p) => p.item));
      for (const p of batch) p.resolve();
    } catch (err) {
      if (batch.length === 1 || !this.#options.splitOnError(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      for (const p of batch) {
        await this.#options.flush([p.item]).then(p.resolve, p.reject);
      }
    }
  }
}
