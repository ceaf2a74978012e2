/**
 * A backfill racing the live service (issue 13, item 3), for the double and the real Engram: a label of
 * nodes written before the migration (no live stamp), the live library (DualWriteCoordinator over
 * Neo4jGraphDatabase and EngramGraphDatabase) for updates, and a target that runs a hook between the
 * backfill's read of a batch and its write (and before each rewrite), so the race happens every time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import type { ResolvedConfig } from '../../src/config/config-schema.js';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { DeadLetterQueue } from '../../src/live/dlq/dead-letter-queue.js';
import { DualWriteCoordinator } from '../../src/live/dual-write/dual-write-coordinator.js';
import { EngramClient } from '../../src/target/engram-client.js';
import { EngramTarget } from '../../src/target/engram-target.js';
import type { EncodedMemoryBatch, WriteGate } from '../../src/target/target.js';
import { vector } from '../unit/live/memory-graph-database.js';
import { testConfig } from './backfill-fixture.js';

export type RaceHook = (ids: readonly string[], phase: 'write' | 'written' | 'rewrite') => Promise<void>;

/** Engram, with `hook` run after the backfill read each batch and before it writes (or rewrites) it, and after the write (`written`). */
export class RacingTarget extends EngramTarget {
  constructor(
    config: ResolvedConfig,
    readonly hook: RaceHook,
  ) {
    super({ url: config.target.url, capacityPerSpace: config.target.capacityPerSpace, maxRetries: 2, timeoutMs: 30_000 });
  }
  override async writeMemories(batch: EncodedMemoryBatch, gate: WriteGate, signal?: AbortSignal) {
    await this.hook(batch.ids, 'write');
    const result = await super.writeMemories(batch, gate, signal);
    await this.hook(batch.ids, 'written');
    return result;
  }
  override async rewriteMemories(batch: EncodedMemoryBatch, signal?: AbortSignal) {
    await this.hook(batch.ids, 'rewrite');
    return super.rewriteMemories(batch, signal);
  }
}

const numberOf = (id: string): number => Number(/\d+$/.exec(id)![0]);

/** Keys with an even number: half of every batch. */
export const evenOf = (ids: readonly string[]): string[] => ids.filter((id) => numberOf(id) % 2 === 0);

export interface RaceScene {
  /**
   * The service's update of each key (new content, new embedding): Neo4j (stamped), then Engram, settled.
   * `smallEdit`: the new embedding is a near-duplicate (cosine ≈ 0.98) of the key's first one; `strength`:
   * the service's confidence (default 1, which the adapter caps at 0.9).
   */
  liveUpdate(ids: readonly string[], how?: { smallEdit?: boolean; strength?: number }): Promise<void>;
  /** The backfill's config for the label (Engram target, content = the content property). */
  config(engine?: Partial<ResolvedConfig['engine']>): ResolvedConfig;
  /** Keys whose content in Engram (read back over HTTP) is not Neo4j's latest. */
  mismatches(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Writes `nodes` keys `<prefix>0…` (default `k`) into `label` (as data from before the migration) and
 * starts the live side. Scenes sharing a space need their own prefix and `seedBase` (embeddings are
 * seeded by key number and version: equal seeds would be near-duplicates across ids).
 */
export async function startRaceScene(o: {
  driver: Driver;
  engramUrl: string;
  label: string;
  space: string;
  nodes: number;
  prefix?: string;
  seedBase?: number;
}): Promise<RaceScene> {
  const prefix = o.prefix ?? 'k';
  const base = o.seedBase ?? 0;
  const clear = async (): Promise<void> => {
    const session = o.driver.session();
    try {
      await session.run(`MATCH (n:${o.label}) DETACH DELETE n`);
    } finally {
      await session.close();
    }
  };
  await clear();
  const neo = new Neo4jGraphDatabase({ driver: o.driver, label: o.label });
  await neo.ensureSchema({ vectorIndex: false });
  const at = (seed: number): string => new Date(1_700_000_000_000 + seed).toISOString();
  await Promise.all(
    Array.from({ length: o.nodes }, (_, i) =>
      neo.createMemory({ id: `${prefix}${i}`, space: o.space, content: `${prefix}${i} version 0`, embedding: vector(base + i * 100), timestamp: at(i * 100) }),
    ),
  );
  const live = new EngramGraphDatabase({ client: { url: o.engramUrl, maxRetries: 2, timeoutMs: 30_000 } });
  const reader = new EngramClient({ url: o.engramUrl, maxRetries: 2 });
  const dir = await mkdtemp(join(tmpdir(), 'live-race-'));
  const dlq = await DeadLetterQueue.open(dir);
  const dual = new DualWriteCoordinator({ primary: neo, secondary: live, dlq, breaker: false, secondaryTimeoutMs: 60_000 });
  const versions = new Map<string, number>();
  // One live update at a time: each ends by checking that the queue is empty, which another update in
  // flight would fail (the backfill's next batch is written while the previous one's rewrites run).
  let updating: Promise<void> = Promise.resolve();
  const update = async (ids: readonly string[], how: { smallEdit?: boolean; strength?: number }): Promise<void> => {
    await Promise.all(
      ids.map((id) => {
        const v = (versions.get(id) ?? 0) + 1;
        versions.set(id, v);
        const seed = numberOf(id) * 100 + v;
        const noise = vector(base + seed + 7_777_777);
        const embedding = how.smallEdit ? vector(base + numberOf(id) * 100).map((x, i) => x + 0.2 * noise[i]!) : vector(base + seed);
        return dual.createMemory({
          id,
          space: o.space,
          content: `${id} version ${v}`,
          embedding,
          timestamp: at(seed),
          ...(how.strength === undefined ? {} : { strength: how.strength }),
        });
      }),
    );
    await dual.settle();
    const stuck = dlq.stats();
    if (stuck.entries > 0) throw new Error(`live updates did not reach Engram: ${JSON.stringify(stuck)}`);
  };
  return {
    liveUpdate(ids, how = {}) {
      const next = updating.then(() => update(ids, how));
      updating = next.catch(() => undefined);
      return next;
    },
    config(engine = {}) {
      return testConfig({
        source: { labels: [o.label], readers: 1 },
        target: { kind: 'engram', url: o.engramUrl },
        engine: { batchSize: Math.max(1, Math.floor(o.nodes / 4)), edges: false, workers: 1, ...engine },
        mapping: {
          keys: { [o.label]: 'id' },
          spaces: { [o.label]: o.space },
          contentTemplates: { [o.label]: '{content}' },
          timestampProperty: 'timestamp',
          strength: 0.9,
        },
      });
    },
    async mismatches() {
      const session = o.driver.session();
      try {
        const rows = (await session.run(`MATCH (n:${o.label}) RETURN n.id AS id, n.content AS content`)).records;
        if (rows.length !== o.nodes) throw new Error(`expected ${o.nodes} nodes in Neo4j, found ${rows.length}`);
        const wrong: string[] = [];
        for (const r of rows) {
          const id = r.get('id') as string;
          if ((await reader.getMemory(o.space, id))?.content !== r.get('content')) wrong.push(id);
        }
        return wrong.sort();
      } finally {
        await session.close();
      }
    },
    async close() {
      await dlq.close();
      await live.close();
      await reader.close();
      await clear();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
