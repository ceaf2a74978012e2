import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { call, remember, unitVector } from './double-client.js';

const KEY = 'engram_key_k1_s3cr3t';
let double: EngramDouble;
beforeAll(async () => {
  double = await startEngramDouble({ auth: { keys: [KEY] } });
});
afterAll(async () => {
  await double.stop();
});

const body = { id: 'a', content: 'c', embedding: unitVector(1) };

describe('auth', () => {
  it('answers 401 UNAUTHORIZED without an Authorization header', async () => {
    const reply = await remember(double.url, body);
    expect(reply.status).toBe(401);
    expect(reply.json.error.code).toBe('UNAUTHORIZED');
  });

  it('answers 401 UNAUTHORIZED for a malformed header', async () => {
    for (const header of ['engram_key_k1_s3cr3t', 'Bearer nope', 'Basic abc', 'Bearer engram_key_']) {
      const reply = await remember(double.url, body, { authorization: header });
      expect(reply.status, header).toBe(401);
    }
  });

  it('answers 403 FORBIDDEN for a well-formed unknown key', async () => {
    const reply = await remember(double.url, body, { authorization: 'Bearer engram_key_k2_other' });
    expect(reply.status).toBe(403);
    expect(reply.json.error.code).toBe('FORBIDDEN');
    expect(reply.json.documentation).toBeDefined();
  });

  it('lets a known key through on writes and reads', async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    expect((await remember(double.url, body, auth)).status).toBe(201);
    expect((await call(double.url, 'GET', '/api/v1/memories/a', { headers: auth })).status).toBe(200);
  });

  it('guards reads too, but not the /health probe', async () => {
    expect((await call(double.url, 'GET', '/api/v1/memories?limit=1')).status).toBe(401);
    expect((await call(double.url, 'GET', '/health')).status).toBe(200);
  });

  it('refuses to start with a key that is not engram_key_<keyId>_<secret>', async () => {
    await expect(startEngramDouble({ auth: { keys: ['plainsecret'] } })).rejects.toThrow(/auth.keys/);
  });
});
