import { setMaxListeners } from 'node:events';
import { TargetError } from '../errors.js';
import type { RejectRecord } from '../mapping/types.js';
import { EngramClient, type EngramClientOptions } from './engram-client.js';
import type { EncodedMemoryBatch, MemoryWriteResult, Target, WriteGate, TargetCapabilities, TargetState } from './target.js';

/**
 * Engram over HTTP. One request per memory (Engram has no batch route), bounded by the run's limiter.
 * Edges cannot be stored (no edge API): the engine writes them to the run's edge sidecar instead.
 * A 201 does not prove a memory is stored (near-duplicate dedup, eviction): validation reads back.
 */
export class EngramTarget implements Target {
  readonly kind = 'engram' as const;
  readonly encoding = 'engram-json' as const;
  readonly capabilities: TargetCapabilities;
  readonly location: string;
  readonly client: EngramClient;
  readonly #concurrency: number;
  readonly #chunkMax: number;

  constructor(options: EngramClientOptions & { capacityPerSpace: number; chunkMax?: number }) {
    this.client = new EngramClient(options);
    this.#concurrency = options.connections ?? 16;
    this.#chunkMax = options.chunkMax ?? 64;
    this.location = this.client.url;
    this.capabilities = { edges: false, dedup: true, capacityPerSpace: options.capacityPerSpace };
  }

  /**
   * Checks that the server answers. Its reported status is not a verdict: the real server calls itself
   * `unhealthy` (503) for a while on a busy machine while every route works, and writes are verified by
   * their own answers and by read-back anyway.
   */
  async open(): Promise<void> {
    await this.client.health();
  }

  /**
   * Sends a batch over `gate.concurrency` lanes (default: the target's `concurrency`); each lane sends one request at a time, so at most
   * `concurrency` requests are in flight. Each lane takes chunks of memories and pays their tokens to
   * the limiter up front (weight = records): bottleneck admits a few hundred jobs per second, far too
   * few for one job per request.
   */
  async writeMemories(batch: EncodedMemoryBatch, gate: WriteGate, signal?: AbortSignal): Promise<MemoryWriteResult> {
    const failFast = new AbortController();
    // Every in-flight request listens on this signal: one per lane, more than Node's default warning limit.
    setMaxListeners(0, failFast.signal);
    const onAbort = (): void => failFast.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const rejects: RejectRecord[] = [];
    let written = 0;
    let next = 0;
    const total = batch.ids.length;
    const lanes = gate.concurrency > 0 ? gate.concurrency : this.#concurrency;
    const chunk = Math.max(1, Math.min(this.#chunkMax, Math.ceil(total / lanes)));
    const send = async (i: number): Promise<void> => {
      const body = batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1]);
      try {
        await this.client.remember(batch.spaces[i]!, body, failFast.signal);
        written++;
      } catch (err) {
        if (!(err instanceof TargetError && err.code === 'TARGET_REJECTED')) throw err;
        rejects.push({ kind: 'node', id: batch.ids[i]!, label: null, elementId: null, field: null, code: 'TARGET_REJECTED', reason: err.message });
      }
    };
    const lane = async (): Promise<void> => {
      while (next < total && !failFast.signal.aborted) {
        const start = next;
        const end = Math.min(total, start + chunk);
        next = end;
        await gate.schedule(end - start, async () => {
          for (let i = start; i < end && !failFast.signal.aborted; i++) await send(i);
        });
      }
    };
    try {
      await Promise.all(
        Array.from({ length: Math.min(lanes, Math.ceil(total / chunk)) }, () =>
          lane().catch((err: unknown) => {
            failFast.abort(err);
            throw err;
          }),
        ),
      );
      if (failFast.signal.aborted) throw failFast.signal.reason;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return { written, rejects };
  }

  async writeEdges(): Promise<void> {
    throw new TargetError('TARGET_REJECTED', 'Engram has no edge API; edges go to the run sidecar', { retriable: false });
  }

  async state(): Promise<TargetState> {
    return {};
  }

  async spaceCounts(spaces: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const space of spaces) counts.set(space, await this.client.spaceCount(space));
    return counts;
  }

  async finish(): Promise<void> {}

  async close(): Promise<void> {
    await this.client.close();
  }
}
