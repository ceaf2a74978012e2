import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { call, remember, unitVector } from './double-client.js';

let double: EngramDouble;
beforeAll(async () => {
  double = await startEngramDouble();
});
afterAll(async () => {
  await double.stop();
});

function expectInvalidInput(reply: { status: number; json: any }, messagePart: string): void {
  expect(reply.status).toBe(400);
  expect(reply.json.error.code).toBe('INVALID_MEMORY_INPUT');
  expect(reply.json.error.message).toContain(messagePart);
}

describe('POST /api/v1/memories/remember validation', () => {
  it('rejects an embedding that is not 768 wide', async () => {
    const reply = await remember(double.url, { id: 'w1', content: 'x', embedding: unitVector(1).slice(0, 767) });
    expectInvalidInput(reply, 'exactly 768 dimensions, got 767');
  });

  it('rejects an embedding with a non-finite value (null from NaN, or beyond f32)', async () => {
    const withNull = unitVector(2) as (number | null)[];
    withNull[5] = null;
    expectInvalidInput(await remember(double.url, { id: 'w2', content: 'x', embedding: withNull }), 'finite');
    const tooBig = unitVector(3);
    tooBig[7] = 1e39;
    expectInvalidInput(await remember(double.url, { id: 'w3', content: 'x', embedding: tooBig }), 'finite');
  });

  it('rejects empty and whitespace-only content', async () => {
    expectInvalidInput(await remember(double.url, { id: 'w4', content: '' }), 'cannot be empty');
    expectInvalidInput(await remember(double.url, { id: 'w5', content: '  \n ' }), 'cannot be empty');
  });

  it('rejects content over 100,000 UTF-8 bytes and accepts exactly 100,000', async () => {
    const tooLong = 'é'.repeat(50_001); // 100,002 bytes, 50,001 chars
    expectInvalidInput(await remember(double.url, { id: 'w6', content: tooLong }), 'too large');
    const exact = await remember(double.url, { id: 'w7', content: 'a'.repeat(100_000), embedding: unitVector(7) });
    expect(exact.status).toBe(201);
  });

  it('rejects a confidence outside 0..1 and accepts both bounds', async () => {
    expectInvalidInput(await remember(double.url, { id: 'w8', content: 'x', confidence: 1.01 }), 'Confidence');
    expectInvalidInput(await remember(double.url, { id: 'w9', content: 'x', confidence: -0.1 }), 'Confidence');
    expect((await remember(double.url, { id: 'w10', content: 'x', confidence: 0, embedding: unitVector(10) })).status).toBe(201);
    expect((await remember(double.url, { id: 'w11', content: 'y', confidence: 1, embedding: unitVector(11) })).status).toBe(201);
  });

  it('rejects a timestamp that is not RFC3339', async () => {
    expectInvalidInput(await remember(double.url, { id: 'w12', content: 'x', timestamp: '2024-13-01' }), 'RFC3339');
    expectInvalidInput(await remember(double.url, { id: 'w13', content: 'x', timestamp: 'yesterday' }), 'RFC3339');
  });

  it('rejects invalid space ids from each source with 400', async () => {
    expectInvalidInput(await remember(double.url, { content: 'x' }, { 'x-memory-space': 'AB' }), 'memory space');
    expectInvalidInput(await remember(double.url, { content: 'x' }, undefined, '?space=has%20space'), 'memory space');
    expectInvalidInput(await remember(double.url, { content: 'x', memory_space_id: 'x'.repeat(65) }), 'memory space');
    expect(double.store.spaces()).toEqual(['default']);
  });

  it('answers malformed JSON with the framework plain-text 400', async () => {
    const reply = await call(double.url, 'POST', '/api/v1/memories/remember', { rawBody: '{"content": ', headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toContain('text/plain');
    expect(reply.text).toMatch(/^Failed to parse the request body as JSON/);
  });

  it('answers a wrong content type with 415 and a wrong field type with 422, both plain text', async () => {
    const noType = await call(double.url, 'POST', '/api/v1/memories/remember', { rawBody: '{"content":"x"}' });
    expect(noType.status).toBe(415);
    const missing = await remember(double.url, { id: 'w14' });
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('missing field `content`');
    const wrongType = await remember(double.url, { content: 42 });
    expect(wrongType.status).toBe(422);
    expect(wrongType.json).toBeUndefined();
  });

  it('answers a body over 2 MiB with 413', async () => {
    const reply = await call(double.url, 'POST', '/api/v1/memories/remember', {
      rawBody: JSON.stringify({ content: 'x', padding: 'p'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(reply.status).toBe(413);
    expect(reply.text).toContain('length limit exceeded');
  });

  it('gives 400 errors the full Engram error body', async () => {
    const reply = await remember(double.url, { content: '' });
    expect(Object.keys(reply.json).sort()).toEqual(['documentation', 'error']);
    expect(Object.keys(reply.json.error).sort()).toEqual(['code', 'cognitive_guidance', 'educational_context', 'message']);
    expect(typeof reply.json.error.educational_context).toBe('string');
    expect(reply.json.documentation.api_guide).toBe('/docs/api');
  });

  it('stores nothing for any rejected write', async () => {
    const ids = double.store
      .list('default')
      .map((m) => m.id)
      .sort();
    expect(ids).toEqual(['w10', 'w11', 'w7']);
  });
});
