import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAiEmbedder, type OpenAiEmbedderOptions } from '../../../src/embed/openai-embedder.js';
import { MigrateError } from '../../../src/errors.js';
import { fakeVector, startEmbeddingsDouble, type EmbeddingsDouble } from '../../helpers/embeddings-double.js';

let double: EmbeddingsDouble;
beforeAll(async () => {
  double = await startEmbeddingsDouble();
});
afterAll(() => double.stop());

function options(over: Partial<OpenAiEmbedderOptions> = {}): OpenAiEmbedderOptions {
  return {
    baseUrl: double.url,
    model: 'nomic-embed-text',
    dim: 768,
    sendDimensions: false,
    batchSize: 2,
    concurrency: 2,
    timeoutMs: 10_000,
    maxRetries: 3,
    retryBaseMs: 1,
    retryMaxMs: 5,
    random: () => 0,
    ...over,
  };
}

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

async function embed(texts: string[], over: Partial<OpenAiEmbedderOptions> = {}): Promise<Float32Array> {
  const e = createOpenAiEmbedder(options(over));
  try {
    const out = new Float32Array(texts.length * 768);
    await e.embed(texts, out);
    return out;
  } finally {
    await e.dispose();
  }
}

async function failure(texts: string[], over: Partial<OpenAiEmbedderOptions> = {}): Promise<MigrateError> {
  const err = await embed(texts, over).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MigrateError);
  return err as MigrateError;
}

describe('OpenAI-compatible embedder', () => {
  it('sends texts in batches with the model, float encoding, dimensions when asked and the key, and places vectors by index', async () => {
    const before = double.requests.length;
    const texts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const out = await embed(texts, { apiKey: 'sk-test', sendDimensions: true });
    const sent = double.requests.slice(before);
    expect(sent.map((r) => (JSON.parse(r.body) as { input: string[] }).input).sort()).toEqual([['alpha', 'beta'], ['epsilon'], ['gamma', 'delta']]);
    expect(JSON.parse(sent[0]!.body)).toMatchObject({ model: 'nomic-embed-text', encoding_format: 'float', dimensions: 768 });
    expect(sent[0]!.headers.authorization).toBe('Bearer sk-test');
    texts.forEach((t, i) => {
      const want = unit(fakeVector(t));
      expect(out[i * 768]).toBeCloseTo(want[0]!, 5);
      expect(out[i * 768 + 767]).toBeCloseTo(want[767]!, 5);
    });
    expect(double.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('leaves dimensions out unless asked, and sends no Authorization without a key', async () => {
    const before = double.requests.length;
    await embed(['one']);
    const req = double.requests[before]!;
    expect('dimensions' in (JSON.parse(req.body) as object)).toBe(false);
    expect(req.headers.authorization).toBeUndefined();
  });

  it('retries 429 with Retry-After, 500 and 503, then succeeds', async () => {
    const before = double.requests.length;
    double.faults.push({ status: 429, retryAfter: '1' }, { status: 500 }, { status: 503 });
    const out = await embed(['retry me'], { concurrency: 1 });
    expect(double.requests.length - before).toBe(4);
    expect(out[0]).toBeCloseTo(unit(fakeVector('retry me'))[0]!, 5);
  });

  it('gives up after maxRetries with a retriable EMBEDDING_SERVER error naming the server', async () => {
    double.faults.push({ status: 500 }, { status: 500 }, { status: 500 });
    const err = await failure(['x'], { concurrency: 1, maxRetries: 2 });
    expect([err.code, err.retriable]).toEqual(['EMBEDDING_SERVER', true]);
    expect(err.message).toContain(double.url);
  });

  it('does not retry a 401 and says where the key comes from', async () => {
    const before = double.requests.length;
    double.faults.push({ status: 401 });
    const err = await failure(['x'], { concurrency: 1 });
    expect([err.code, err.retriable, double.requests.length - before]).toEqual(['EMBEDDING_SERVER', false, 1]);
    expect(err.message).toContain('EMBEDDINGS_API_KEY');
  });

  it('refuses vectors of another width with an error naming the server, the model and the width, without retrying', async () => {
    const before = double.requests.length;
    double.faults.push({ width: 384 });
    const err = await failure(['x'], { concurrency: 1 });
    expect([err.code, err.retriable, double.requests.length - before]).toEqual(['EMBEDDING_SERVER', false, 1]);
    expect(err.message).toContain(double.url);
    expect(err.message).toContain('nomic-embed-text');
    expect(err.message).toContain('384-wide');
  });

  it.each(['not-json', 'no-data', 'short', 'strings'] as const)('refuses a malformed body (%s)', async (malformed) => {
    double.faults.push({ malformed });
    const err = await failure(['a', 'b'], { concurrency: 1 });
    expect([err.code, err.retriable]).toEqual(['EMBEDDING_SERVER', false]);
    expect(err.message).toContain('nomic-embed-text');
  });

  it('fails with a retriable error naming the server when nothing listens', async () => {
    const err = await failure(['x'], { baseUrl: 'http://127.0.0.1:1', maxRetries: 0 });
    expect([err.code, err.retriable]).toEqual(['EMBEDDING_SERVER', true]);
    expect(err.message).toContain('http://127.0.0.1:1');
  });
});
