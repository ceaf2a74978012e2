import { beforeEach, describe, expect, it } from 'vitest';
import { EPISODE_PLACEHOLDER_EMBEDDING, MEMORY_PLACEHOLDER_EMBEDDING } from '../helpers/engram-double/index.js';
import { call, remember, unitVector, sharedDouble } from './double-client.js';

const double = sharedDouble();
beforeEach(() => {
  double.store.clear();
  double.setFaults(null);
});

describe('POST /api/v1/episodes/remember', () => {
  it('stores what as content and when as the time, with importance as confidence', async () => {
    const reply = await call(double.url, 'POST', '/api/v1/episodes/remember', {
      body: { id: 'ep1', when: '2022-05-06T07:08:09Z', what: 'met Bob', who: ['Bob'], where_location: 'Paris', importance: 0.8, embedding: unitVector(1) },
    });
    expect(reply.status).toBe(201);
    expect(reply.json.observed_at).toBe('2022-05-06T07:08:09Z');
    expect(double.store.get('default', 'ep1')).toMatchObject({ content: 'met Bob', confidence: 0.8 });
  });

  it('requires when and what, and gives ep_ ids and the 0.6 constant vector by default', async () => {
    expect((await call(double.url, 'POST', '/api/v1/episodes/remember', { body: { what: 'x' } })).status).toBe(422);
    const reply = await call(double.url, 'POST', '/api/v1/episodes/remember', { body: { when: '2022-05-06T07:08:09Z', what: 'x' } });
    expect(reply.json.memory_id).toMatch(/^ep_[0-9a-f]{8}$/);
    expect(Array.from(double.store.get('default', reply.json.memory_id)!.embedding)).toEqual(Array.from(EPISODE_PLACEHOLDER_EMBEDDING));
  });
});

describe('POST /api/v1/memories', () => {
  it('ignores id, embedding and every space selector', async () => {
    const reply = await call(double.url, 'POST', '/api/v1/memories?space=asked_space', {
      body: { id: 'mine', content: 'cli', embedding: unitVector(2), memory_space_id: 'body_space', confidence: 0.4 },
      headers: { 'x-memory-space': 'header_space' },
    });
    expect(reply.status).toBe(201);
    expect(reply.json.memory_id).not.toBe('mine');
    const stored = double.store.get('default', reply.json.memory_id)!;
    expect(stored).toMatchObject({ content: 'cli', confidence: 0.4 });
    expect(Array.from(stored.embedding)).toEqual(Array.from(MEMORY_PLACEHOLDER_EMBEDDING));
    expect(double.store.spaces()).toEqual(['default']);
  });
});

describe('DELETE /api/v1/memories/{id}', () => {
  it('answers 200 not_supported and deletes nothing', async () => {
    await remember(double.url, { id: 'keep', content: 'c', embedding: unitVector(3) });
    const reply = await call(double.url, 'DELETE', '/api/v1/memories/keep');
    expect(reply.status).toBe(200);
    expect(reply.json.status).toBe('not_supported');
    expect(double.store.get('default', 'keep')).toBeDefined();
  });
});

describe('health', () => {
  it('GET /health answers healthy, and 503 when the double is set unhealthy', async () => {
    const ok = await call(double.url, 'GET', '/health');
    expect([ok.status, ok.json.status]).toEqual([200, 'healthy']);
    double.setFaults({ health: 'unhealthy' });
    const bad = await call(double.url, 'GET', '/health');
    expect([bad.status, bad.json.status]).toEqual([503, 'unhealthy']);
  });

  it('GET /api/v1/system/health lists spaces with their memory counts, or only ?space=', async () => {
    double.store.seed('counted', 4, { seed: 1 });
    const all = await call(double.url, 'GET', '/api/v1/system/health');
    expect(all.json.status).toBe('healthy');
    expect(all.json.spaces).toEqual(
      expect.arrayContaining([expect.objectContaining({ space: 'default', memories: 0 }), expect.objectContaining({ space: 'counted', memories: 4 })]),
    );
    const one = await call(double.url, 'GET', '/api/v1/system/health?space=counted');
    expect(one.json.spaces).toEqual([expect.objectContaining({ space: 'counted', memories: 4 })]);
  });

  it('answers unknown paths 404 and wrong methods 405', async () => {
    expect((await call(double.url, 'GET', '/api/v2/nothing')).status).toBe(404);
    expect((await call(double.url, 'GET', '/api/v1/memories/remember')).status).toBe(405);
  });
});
