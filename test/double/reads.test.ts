import { beforeEach, describe, expect, it } from 'vitest';
import { call, remember, unitVector, vectorAtCosine, sharedDouble } from './double-client.js';

const double = sharedDouble();

describe('GET /api/v1/memories/{id}', () => {
  it('returns {id, content, confidence, timestamp, memory_type} and no embedding', async () => {
    await remember(double.url, { id: 'x/1', content: 'hello', embedding: unitVector(1), confidence: 0.8, timestamp: '2020-01-02T03:04:05Z' });
    const reply = await call(double.url, 'GET', `/api/v1/memories/${encodeURIComponent('x/1')}`);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ id: 'x/1', content: 'hello', confidence: 0.8, timestamp: '2020-01-02T03:04:05+00:00', memory_type: 'episodic' });
  });

  it('answers 404 MEMORY_NOT_FOUND with the Engram error body when absent', async () => {
    const reply = await call(double.url, 'GET', '/api/v1/memories/missing');
    expect(reply.status).toBe(404);
    expect(reply.json.error.code).toBe('MEMORY_NOT_FOUND');
    expect(reply.json.error.message).toContain('missing');
    expect(typeof reply.json.error.cognitive_guidance).toBe('string');
  });

  it('reads from the space named by ?space= or the header', async () => {
    await remember(double.url, { id: 's', content: 'in s1', embedding: unitVector(2) }, { 'x-memory-space': 'space_one' });
    expect((await call(double.url, 'GET', '/api/v1/memories/s')).status).toBe(404);
    expect((await call(double.url, 'GET', '/api/v1/memories/s?space=space_one')).json.content).toBe('in s1');
    expect((await call(double.url, 'GET', '/api/v1/memories/s', { headers: { 'x-memory-space': 'space_one' } })).status).toBe(200);
  });
});

describe('GET /api/v1/memories (list)', () => {
  it('pages through every memory exactly once with tier_counts and pagination', async () => {
    double.store.seed('pages', 25, { seed: 3 });
    const seen: string[] = [];
    for (let offset = 0; offset < 30; offset += 10) {
      const reply = await call(double.url, 'GET', `/api/v1/memories?space=pages&limit=10&offset=${offset}`);
      expect(reply.json.pagination).toEqual({ offset, limit: 10, returned: Math.min(10, 25 - offset) });
      // confidence 0.7: activation 0.7 x (1 - 0.5 x fill) is below 0.7 (warm) for all but the first write
      expect(reply.json.tier_counts).toEqual({ hot: 25, warm: 24, cold: 0, total: 49 });
      expect(reply.json.count).toBe(25);
      seen.push(...reply.json.memories.map((m: { id: string }) => m.id));
    }
    expect(new Set(seen).size).toBe(25);
    expect(seen.sort()).toEqual(
      double.store
        .list('pages')
        .map((m) => m.id)
        .sort(),
    );
  });

  it('returns the stored embeddings only with include_embeddings=true', async () => {
    const v = unitVector(4);
    await remember(double.url, { id: 'e', content: 'c', embedding: v });
    const without = await call(double.url, 'GET', '/api/v1/memories');
    expect(without.json.memories[0]).not.toHaveProperty('embedding');
    const withEmb = await call(double.url, 'GET', '/api/v1/memories?include_embeddings=true');
    expect(withEmb.json.memories[0].embedding).toEqual(Array.from(Float32Array.from(v)));
  });

  it('caps limit at 1000', async () => {
    double.store.seed('big', 1100, { seed: 5 });
    const reply = await call(double.url, 'GET', '/api/v1/memories?space=big&limit=5000');
    expect(reply.json.pagination.limit).toBe(1000);
    expect(reply.json.memories).toHaveLength(1000);
  });

  it('lists memories below activation 0.7 in warm too, so tier=all repeats them; cold is empty', async () => {
    await remember(double.url, { id: 'w', content: 'warm', embedding: unitVector(7), confidence: 0.5 });
    await remember(double.url, { id: 'h', content: 'hot', embedding: unitVector(8), confidence: 1 });
    const ids = async (tier: string): Promise<string[]> =>
      (await call(double.url, 'GET', `/api/v1/memories${tier}`)).json.memories.map((m: { id: string }) => m.id);
    expect((await ids('')).sort()).toEqual(['h', 'w']);
    expect(await ids('?tier=warm')).toEqual(['w']);
    expect((await ids('?tier=all')).sort()).toEqual(['h', 'w', 'w']);
    expect(await ids('?tier=cold')).toEqual([]);
  });

  it('rejects a bad limit as a query error', async () => {
    const bad = await call(double.url, 'GET', '/api/v1/memories?limit=ten');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Failed to deserialize query string');
  });
});

describe('GET /api/v1/memories/recall', () => {
  const cue = unitVector(50);
  const recall = (query: string): Promise<{ status: number; json: any }> =>
    call(double.url, 'GET', `/api/v1/memories/recall?embedding=${encodeURIComponent(JSON.stringify(cue))}${query}`);

  beforeEach(async () => {
    const cosines = { c90: 0.9, c80: 0.8, c60: 0.6, c40: 0.4, c10: 0.1 };
    for (const [id, cos] of Object.entries(cosines)) {
      await remember(double.url, { id, content: id, embedding: vectorAtCosine(cue, cos, id.length * 7 + cos * 100), confidence: 1 });
    }
  });

  it('orders by similarity and splits vivid (> 0.7) from associated', async () => {
    const reply = await recall('&threshold=0.3&max_results=10');
    expect(reply.json.memories.vivid.map((r: { id: string }) => r.id)).toEqual(['c90', 'c80']);
    expect(reply.json.memories.associated.map((r: { id: string }) => r.id)).toEqual(['c60', 'c40']);
    expect(reply.json.memories.vivid[0].similarity_score).toBeCloseTo(0.9, 5);
    expect(reply.json.memories.vivid[0]).toMatchObject({
      content: 'c90',
      activation_level: expect.any(Number),
      confidence: { category: 'High', reasoning: expect.any(String) },
    });
    expect(reply.json.memories.reconstructed).toEqual([]);
  });

  it('applies threshold (default 0.5) and max_results', async () => {
    const byDefault = await recall('');
    expect([...byDefault.json.memories.vivid, ...byDefault.json.memories.associated].map((r: { id: string }) => r.id)).toEqual(['c90', 'c80', 'c60']);
    const top1 = await recall('&threshold=0&max_results=1');
    expect(top1.json.memories.vivid.map((r: { id: string }) => r.id)).toEqual(['c90']);
    expect(top1.json.memories.associated).toEqual([]);
  });

  it('scores memories below activation 0.7 by 0.95 x confidence, not by their embedding, when the hot tier gives fewer than k', async () => {
    await remember(double.url, { id: 'low', content: 'low', embedding: cue, confidence: 0.6 });
    const top3 = await recall('&threshold=0&max_results=3');
    expect(top3.json.memories.vivid.map((r: { id: string }) => r.id)).toEqual(['c90', 'c80']);
    expect(top3.json.memories.associated.map((r: { id: string }) => r.id)).toEqual(['c60']);
    const top6 = await recall('&threshold=0&max_results=6');
    const all = [...top6.json.memories.vivid, ...top6.json.memories.associated];
    expect(all.map((r: { id: string }) => r.id)).toEqual(['c90', 'c80', 'c60', 'low', 'c40', 'c10']);
    expect(all[3].similarity_score).toBeCloseTo(0.57, 5);
  });

  it('answers 400 for mode=spreading and mode=hybrid, 200 for similarity', async () => {
    expect((await recall('&mode=spreading')).status).toBe(400);
    expect((await recall('&mode=hybrid')).json.error.code).toBe('INVALID_MEMORY_INPUT');
    expect((await recall('&mode=similarity')).status).toBe(200);
  });

  it('answers 400 without a cue or with a malformed one', async () => {
    expect((await call(double.url, 'GET', '/api/v1/memories/recall')).status).toBe(400);
    expect((await call(double.url, 'GET', '/api/v1/memories/recall?embedding=%5B1%2C2')).status).toBe(400);
    expect((await call(double.url, 'GET', `/api/v1/memories/recall?embedding=${encodeURIComponent('[1,2,3]')}`)).status).toBe(400);
  });
});
