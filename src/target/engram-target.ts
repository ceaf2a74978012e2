import { TargetError } from '../errors.js';
import type { RejectRecord } from '../mapping/types.js';
import { EngramClient, type EngramClientOptions } from './engram-client.js';
import type { EncodedMemoryBatch, MemoryWriteResult, Schedule, Target, TargetCapabilities, TargetState } from './target.js';

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

  constructor(options: EngramClientOptions & { capacityPerSpace: number }) {
    this.client = new EngramClient(options);
    this.location = this.client.url;
    this.capabilities = { edges: false, dedup: true, capacityPerSpace: options.capacityPerSpace };
  }

  async open(): Promise<void> {
    const health = await this.client.health();
    if (health.status === 'unhealthy') throw new TargetError('TARGET_UNAVAILABLE', `Engram at ${this.location} reports itself unhealthy`);
  }

  async writeMemories(batch: EncodedMemoryBatch, schedule: Schedule, signal?: AbortSignal): Promise<MemoryWriteResult> {
    const failFast = new AbortController();
    const onAbort = (): void => failFast.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const rejects: RejectRecord[] = [];
    let written = 0;
    try {
      await Promise.all(
        batch.ids.map((id, i) =>
          schedule(1, async () => {
            if (failFast.signal.aborted) throw failFast.signal.reason;
            const body = batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1]);
            try {
              await this.client.remember(batch.spaces[i]!, body, failFast.signal);
              written++;
            } catch (err) {
              if (err instanceof TargetError && err.code === 'TARGET_REJECTED') {
                rejects.push({ kind: 'node', id, label: null, elementId: null, field: null, code: 'TARGET_REJECTED', reason: err.message });
                return;
              }
              failFast.abort(err);
              throw err;
            }
          }),
        ),
      );
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
