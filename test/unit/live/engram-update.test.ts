/**
 * The Engram adapter's writes against the Engram double: a write Engram drops is an error with its
 * reason (never a silent 201), updates climb the confidence ladder, an update that would land on
 * another memory is refused, and through the dual writer such writes are queued or parked with the reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../src/live/dlq/dead-letter-queue.js';
import { DualWriteCoordinator } from '../../../src/live/dual-write/dual-write-coordinator.js';
import { EngramGraphDatabase } from '../../../src/live/adapters/engram-graph-database.js';
import type { LiveMemory } from '../../../src/live/graph-database.js';
import { startEngramDouble, type EngramDouble } from '../../helpers/engram-double/index.js';
import { MemoryGraphDatabase, vector } from './memory-graph-database.js';

const SPACE = 'updates_test';
let double: EngramDouble;
let engram: EngramGraphDatabase;
beforeEach(async () => {
  double = await startEngramDouble();
  engram = new EngramGraphDatabase({ client: { url: double.url, maxRetries: 0 } });
});
afterEach(async () => {
  await engram.close();
  await double.stop();
});

const mem = (id: string, seed: number, content: string, extra: Partial<LiveMemory> = {}): LiveMemory => ({
  id,
  space: SPACE,
  content,
  embedding: vector(seed),
  timestamp: new Date(1_700_000_000_000 + seed).toISOString(),
  ...extra,
});
/** `base` moved a little: cosine ≈ 0.99 to it. */
const near = (base: Float32Array, seed: number): Float32Array => base.map((x, i) => x + 0.05 * vector(seed)[i]!);

describe('EngramGraphDatabase writes', () => {
  it('fails an update Engram answers 201 to but does not apply, saying so', async () => {
    await engram.createMemory(mem('a', 1, 'first'));
    // same embedding, new content: the double keeps the stored version (a same-id no-op)
    await expect(engram.createMemory(mem('a', 1, 'edited'))).rejects.toMatchObject({
      code: 'TARGET_REJECTED',
      retriable: true,
      message: expect.stringContaining('did not land'),
    });
    expect(double.store.get(SPACE, 'a')?.content).toBe('first');
  });

  it('fails a write Engram deduplicated into another memory (201, nothing under the id)', async () => {
    await engram.createMemory(mem('b', 2, 'original', { strength: 0.9 }));
    const copy = { ...mem('c', 3, 'a near copy', { strength: 0.5 }), embedding: near(vector(2), 4) };
    await expect(engram.createMemory(copy)).rejects.toMatchObject({
      code: 'TARGET_REJECTED',
      retriable: false,
      message: expect.stringContaining('holds nothing under this id'),
    });
  });

  it('sends first writes at most at the ceiling and each update one rung above the stored confidence; a replayed version is not sent again', async () => {
    await engram.createMemory(mem('d', 5, 'v1')); // strength 1 → 0.9
    expect(double.store.get(SPACE, 'd')?.confidence).toBeCloseTo(0.9, 6);
    await engram.createMemory(mem('d', 6, 'v2'));
    expect(double.store.get(SPACE, 'd')).toMatchObject({ content: 'v2', confidence: expect.closeTo(0.90001, 6) });
    await engram.createMemory(mem('d', 7, 'v3'));
    expect(double.store.get(SPACE, 'd')?.confidence).toBeCloseTo(0.90002, 6);
    const writes = double.stats.writes;
    const before = JSON.stringify(writes);
    await engram.createMemory(mem('d', 7, 'v3')); // a replay of what landed
    expect(JSON.stringify(double.stats.writes)).toBe(before);
  });

  it('refuses an update that would land on another memory, which stays intact', async () => {
    await engram.createMemory(mem('e', 8, 'e1'));
    await engram.createMemory(mem('f', 9, 'f1'));
    const moved = { ...mem('e', 10, 'e2'), embedding: near(vector(9), 11) };
    await expect(engram.createMemory(moved)).rejects.toMatchObject({ code: 'TARGET_REJECTED', retriable: false, message: expect.stringContaining('memory f') });
    expect(double.store.get(SPACE, 'f')?.content).toBe('f1');
    expect(double.store.get(SPACE, 'e')?.content).toBe('e1');
  });

  it('through the dual writer, an update that did not land is queued and a write that cannot land is parked, each with its reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'engram-update-'));
    const dlq = await DeadLetterQueue.open(dir);
    try {
      const dual = new DualWriteCoordinator({ primary: new MemoryGraphDatabase('neo4j'), secondary: engram, dlq, breaker: false });
      await dual.createMemory(mem('g', 12, 'g1', { strength: 0.9 }));
      await dual.createMemory(mem('g', 12, 'g2')); // dropped by the double
      await dual.createMemory({ ...mem('h', 13, 'h1', { strength: 0.5 }), embedding: near(vector(12), 14) }); // deduplicated into g
      await dual.settle();
      const entries = dlq.list();
      expect(entries.find((e) => e.key === 'g')).toMatchObject({ state: 'pending', lastError: expect.stringContaining('did not land') });
      expect(entries.find((e) => e.key === 'h')).toMatchObject({ state: 'parked', reason: expect.stringContaining('holds nothing under this id') });
      expect(dual.stats.secondaryOk).toBe(1);
    } finally {
      await dlq.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("with checkNeighbours 'all', refuses a first write that would replace a near memory of lower confidence", async () => {
    const strict = new EngramGraphDatabase({ client: { url: double.url, maxRetries: 0 }, updates: { checkNeighbours: 'all' } });
    // 0.8, not lower: the real server (and the double since it mirrors it) scores memories of activation
    // below 0.7 by confidence, not cosine, in recall, so no neighbour check by recall can see those.
    await strict.createMemory(mem('i', 15, 'i1', { strength: 0.8 }));
    const copy = { ...mem('j', 16, 'j1', { strength: 0.9 }), embedding: near(vector(15), 17) };
    await expect(strict.createMemory(copy)).rejects.toMatchObject({ code: 'TARGET_REJECTED', retriable: false, message: expect.stringContaining('memory i') });
    expect(double.store.get(SPACE, 'i')?.content).toBe('i1');
    await strict.close();
  });
});
