import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { call, cosine, remember, unitVector, vectorAtCosine, sharedDouble } from './double-client.js';

const double = sharedDouble();

const base = unitVector(100);

describe('near-duplicate dedup', () => {
  it('drops a write at cosine >= 0.95 with an existing memory, yet answers 201 with the sent id', async () => {
    await remember(double.url, { id: 'orig', content: 'original', embedding: base });
    const near = vectorAtCosine(base, 0.951, 1);
    const reply = await remember(double.url, { id: 'dup', content: 'near copy', embedding: near });
    expect(reply.status).toBe(201);
    expect(reply.json.memory_id).toBe('dup');
    expect(double.store.get('default', 'dup')).toBeUndefined();
    expect(double.store.count('default')).toBe(1);
    expect(double.stats.writes.deduplicated).toBe(1);
  });

  it('keeps a write at cosine 0.94', async () => {
    await remember(double.url, { id: 'orig', content: 'original', embedding: base });
    await remember(double.url, { id: 'other', content: 'different enough', embedding: vectorAtCosine(base, 0.94, 2) });
    expect(double.store.count('default')).toBe(2);
    expect(double.store.get('default', 'other')?.content).toBe('different enough');
  });

  it('treats re-sending an id with the same vector as a no-op (content not updated)', async () => {
    await remember(double.url, { id: 'same', content: 'v1', embedding: base });
    const again = await remember(double.url, { id: 'same', content: 'v2', embedding: base, confidence: 0.99 });
    expect(again.status).toBe(201);
    expect(double.store.get('default', 'same')).toMatchObject({ content: 'v1', confidence: 0.7 });
    expect(double.stats.writes.noop).toBe(1);
  });

  it('replaces the memory when an id is re-sent with an unrelated vector', async () => {
    await remember(double.url, { id: 'same', content: 'v1', embedding: base });
    const fresh = unitVector(200);
    await remember(double.url, { id: 'same', content: 'v2', embedding: fresh });
    const stored = double.store.get('default', 'same')!;
    expect(stored.content).toBe('v2');
    expect(cosine(stored.embedding, fresh)).toBeGreaterThan(0.9999);
    expect(double.store.count('default')).toBe(1);
  });

  it('replaces the existing memory by a near-duplicate of strictly higher confidence: gone from reads, still listed', async () => {
    await remember(double.url, { id: 'orig', content: 'o', embedding: base, confidence: 0.5 });
    const d1 = vectorAtCosine(base, 0.97, 3);
    await remember(double.url, { id: 'd1', content: 'd', embedding: d1, confidence: 0.9 });
    expect(double.store.get('default', 'orig')).toBeUndefined();
    expect(double.store.get('default', 'd1')!.confidence).toBe(0.9);
    expect((await call(double.url, 'GET', '/api/v1/memories/orig')).status).toBe(404);
    const listed = await call(double.url, 'GET', '/api/v1/memories');
    expect(listed.json.memories.map((m: { id: string }) => m.id).sort()).toEqual(['d1', 'orig']);
    expect(listed.json.tier_counts.hot).toBe(1);
    await remember(double.url, { id: 'd2', content: 'd', embedding: vectorAtCosine(d1, 0.97, 4), confidence: 0.2 });
    expect(double.store.get('default', 'd2')).toBeUndefined();
  });

  it('takes a small edit of an id only at a strictly higher confidence, a large one at the same confidence', async () => {
    await remember(double.url, { id: 'e', content: 'v1', embedding: base, confidence: 0.5 });
    await remember(double.url, { id: 'e', content: 'small, same', embedding: vectorAtCosine(base, 0.99, 6), confidence: 0.5 });
    expect(double.store.get('default', 'e')!.content).toBe('v1');
    await remember(double.url, { id: 'e', content: 'small, higher', embedding: vectorAtCosine(base, 0.99, 7), confidence: 0.6 });
    expect(double.store.get('default', 'e')!.content).toBe('small, higher');
    await remember(double.url, { id: 'f', content: 'v1', embedding: unitVector(300), confidence: 0.5 });
    await remember(double.url, { id: 'f', content: 'large', embedding: unitVector(301), confidence: 0.5 });
    expect(double.store.get('default', 'f')!.content).toBe('large');
  });

  it('reuses a cached similarity: after a small edit, a large edit of the same id at the same confidence is dropped', async () => {
    await remember(double.url, { id: 'g', content: 'v1', embedding: base, confidence: 0.5 });
    await remember(double.url, { id: 'g', content: 'small', embedding: vectorAtCosine(base, 0.99, 8), confidence: 0.6 });
    await remember(double.url, { id: 'g', content: 'large', embedding: unitVector(302), confidence: 0.6 });
    expect(double.store.get('default', 'g')!.content).toBe('small');
  });

  it('dedups within a space only', async () => {
    await remember(double.url, { id: 'a', content: 'a', embedding: base }, { 'x-memory-space': 'space_a' });
    await remember(double.url, { id: 'b', content: 'b', embedding: vectorAtCosine(base, 0.99, 5) }, { 'x-memory-space': 'space_b' });
    expect(double.store.count('space_b')).toBe(1);
  });
});

describe('near-duplicate dedup through the LSH index (large-space path)', () => {
  it('finds every >= 0.95 duplicate among 2,000 memories and stores every 0.9 neighbour', async () => {
    const lsh = await startEngramDouble({ exactScanBelow: 0 });
    try {
      const space = lsh.store.space('default');
      const bases = Array.from({ length: 2000 }, (_, i) => unitVector(1000 + i));
      bases.forEach((v, i) => space.remember({ id: `b${i}`, content: 'x', embedding: Float32Array.from(v), confidence: 0.5, timestampMs: 0 }));
      expect(space.count).toBe(2000);
      for (let i = 0; i < 300; i++) {
        const near = vectorAtCosine(bases[i]!, 0.955, 5000 + i);
        const result = space.remember({ id: `n${i}`, content: 'near', embedding: Float32Array.from(near), confidence: 0.5, timestampMs: 0 });
        expect(result.outcome).toBe('deduplicated');
        expect(result.heldId).toBe(`b${i}`);
      }
      for (let i = 0; i < 100; i++) {
        const far = vectorAtCosine(bases[i]!, 0.9, 9000 + i);
        expect(space.remember({ id: `f${i}`, content: 'far', embedding: Float32Array.from(far), confidence: 0.6, timestampMs: 0 }).outcome).toBe('stored');
      }
      expect(space.count).toBe(2100);
    } finally {
      await lsh.stop();
    }
  });
});

describe('capacity eviction', () => {
  let small: EngramDouble;
  beforeAll(async () => {
    small = await startEngramDouble({ capacity: 3 });
  });
  afterAll(async () => {
    await small.stop();
  });
  beforeEach(() => {
    small.store.clear();
    small.resetStats();
  });

  const write = (id: string, confidence: number, seed: number): Promise<unknown> =>
    remember(small.url, { id, content: id, embedding: unitVector(seed), confidence });

  it('evicts the lowest-confidence memory past capacity', async () => {
    await write('a', 0.5, 1);
    await write('b', 0.2, 2);
    await write('c', 0.9, 3);
    await write('d', 0.6, 4);
    expect(
      small.store
        .list('default')
        .map((m) => m.id)
        .sort(),
    ).toEqual(['a', 'c', 'd']);
  });

  it('breaks confidence ties by evicting the oldest write', async () => {
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) await write(id, 0.5, 10 + i);
    expect(small.store.get('default', 'a')).toBeUndefined();
    expect(small.store.count('default')).toBe(3);
  });

  it('evicts the new write itself when its confidence is strictly the lowest, still answering 201', async () => {
    await write('a', 0.5, 20);
    await write('b', 0.6, 21);
    await write('c', 0.7, 22);
    const reply = (await write('low', 0.1, 23)) as { status: number };
    expect(reply.status).toBe(201);
    expect(small.store.get('default', 'low')).toBeUndefined();
    expect(small.stats.writes.evicted).toBe(1);
  });

  it('counts the confidence of a replacing near-duplicate when choosing the victim', async () => {
    const v = unitVector(30);
    await remember(small.url, { id: 'a', content: 'a', embedding: v, confidence: 0.1 });
    await write('b', 0.5, 31);
    await write('c', 0.6, 32);
    await remember(small.url, { id: 'a2', content: 'a2', embedding: vectorAtCosine(v, 0.99, 33), confidence: 0.9 });
    await write('d', 0.7, 34);
    expect(
      small.store
        .list('default')
        .map((m) => m.id)
        .sort(),
    ).toEqual(['a2', 'c', 'd']);
  });
});
