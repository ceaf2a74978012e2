/**
 * An {@link Embedder} backed by an OpenAI-compatible `POST {baseUrl}/v1/embeddings` server
 * (text-embeddings-inference, vLLM, Ollama, OpenAI): texts go out in requests of `batchSize`, at most
 * `concurrency` at once, retried with backoff and jitter on 429/5xx/408 and broken connections. Every
 * answer is checked: one finite 768-wide vector per text, in `index` order, or an error naming the
 * server and the model. Vectors are L2-normalised, as the local embedder's are.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { EmbeddingServerError, errorMessage, isRetriable } from '../errors.js';
import { parseRetryAfter, withRetry } from '../engine/retry.js';
import type { Embedder } from './embedder.js';

/** Options of {@link createOpenAiEmbedder}. */
export interface OpenAiEmbedderOptions {
  /** Server root, e.g. `http://127.0.0.1:8080` (the client appends `/v1/embeddings`). */
  baseUrl: string;
  /** The model name the server knows, sent as `model`. */
  model: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Width the answers must have (Engram: 768). */
  dim: number;
  /** Send `dimensions: dim` (OpenAI text-embedding-3-*, Matryoshka models on vLLM/Ollama). */
  sendDimensions: boolean;
  /** Texts per request. */
  batchSize: number;
  /** Requests in flight at once. */
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Randomness for the backoff jitter (tests). */
  random?: () => number;
}

class OpenAiEmbedder implements Embedder {
  readonly dim: number;
  readonly #opts: OpenAiEmbedderOptions;
  readonly #url: string;
  readonly #agent: Dispatcher;
  readonly #where: string;

  constructor(opts: OpenAiEmbedderOptions) {
    this.#opts = opts;
    this.dim = opts.dim;
    this.#url = `${opts.baseUrl.replace(/\/+$/, '')}/v1/embeddings`;
    this.#where = `embedding server ${opts.baseUrl} (model ${opts.model})`;
    this.#agent = new Agent({ connections: opts.concurrency, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
  }

  async embed(texts: string[], out: Float32Array, offset = 0): Promise<void> {
    if (texts.length === 0) return;
    if (!Number.isInteger(offset) || offset < 0 || out.length < (offset + texts.length) * this.dim) {
      throw new RangeError(`out holds ${out.length} floats; ${texts.length} vectors at offset ${offset} need ${(offset + texts.length) * this.dim}`);
    }
    const size = this.#opts.batchSize;
    const starts = Array.from({ length: Math.ceil(texts.length / size) }, (_, i) => i * size);
    let next = 0;
    // A fixed number of lanes each take the next request: at most `concurrency` in flight.
    const lane = async (): Promise<void> => {
      while (next < starts.length) {
        const start = starts[next++]!;
        await this.#embedBatch(texts.slice(start, start + size), out, offset + start);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#opts.concurrency, starts.length) }, lane));
  }

  async #embedBatch(texts: string[], out: Float32Array, offset: number): Promise<void> {
    const body = JSON.stringify({
      model: this.#opts.model,
      input: texts,
      encoding_format: 'float',
      ...(this.#opts.sendDimensions ? { dimensions: this.#opts.dim } : {}),
    });
    const json = await withRetry(() => this.#post(body), {
      maxRetries: this.#opts.maxRetries,
      baseMs: this.#opts.retryBaseMs,
      maxMs: this.#opts.retryMaxMs,
      ...(this.#opts.random ? { random: this.#opts.random } : {}),
    });
    this.#write(json, texts.length, out, offset);
  }

  async #post(body: string): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#opts.apiKey) headers.authorization = `Bearer ${this.#opts.apiKey}`;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.#url, { method: 'POST', headers, body, dispatcher: this.#agent });
    } catch (cause) {
      throw new EmbeddingServerError(`${this.#where} unreachable: ${errorMessage(cause)}`, { cause, retriable: isRetriable(cause) });
    }
    const text = await response.body.text();
    const status = response.statusCode;
    if (status < 200 || status >= 300) {
      const options = { status, retryAfterMs: parseRetryAfter(response.headers['retry-after']) };
      const hint = status === 401 || status === 403 ? ' (check EMBEDDINGS_API_KEY or model.apiKeyFile)' : '';
      throw new EmbeddingServerError(`${this.#where} answered ${status}${hint}: ${text.slice(0, 200)}`, options);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new EmbeddingServerError(`${this.#where} answered a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}`, { status });
    }
  }

  /** Checks an answer and writes its vectors, normalised, in `index` order. */
  #write(json: unknown, count: number, out: Float32Array, offset: number): void {
    const data = (json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data) || data.length !== count) {
      throw new EmbeddingServerError(
        `${this.#where} answered without one embedding per text (expected data[] of ${count}, got ${Array.isArray(data) ? data.length : typeof data})`,
      );
    }
    const seen = new Uint8Array(count);
    data.forEach((item: unknown, k) => {
      const { index = k, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
      if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= count || seen[index as number]) {
        throw new EmbeddingServerError(`${this.#where} answered a bad or repeated index ${JSON.stringify(index)} in data[${k}]`);
      }
      if (!Array.isArray(embedding))
        throw new EmbeddingServerError(`${this.#where} answered data[${k}].embedding that is not a list of floats (ask for encoding_format float)`);
      if (embedding.length !== this.dim) {
        throw new EmbeddingServerError(
          `${this.#where} answered ${embedding.length}-wide embeddings; Engram takes exactly ${this.dim} (choose a ${this.dim}-d model, or set model.sendDimensions where the model supports it)`,
          { details: { width: embedding.length } },
        );
      }
      seen[index as number] = 1;
      this.#normalizeInto(embedding, out, (offset + (index as number)) * this.dim, k);
    });
  }

  #normalizeInto(vector: unknown[], out: Float32Array, at: number, k: number): void {
    let sum = 0;
    for (const x of vector) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new EmbeddingServerError(`${this.#where} answered a non-finite value in data[${k}].embedding`);
      sum += x * x;
    }
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 1;
    for (let i = 0; i < vector.length; i++) out[at + i] = (vector[i] as number) * scale;
  }

  async dispose(): Promise<void> {
    await this.#agent.close();
  }
}

/**
 * An embedder that asks a remote OpenAI-compatible server. Nothing is sent until the first `embed`.
 *
 * @example
 * const e = createOpenAiEmbedder({ baseUrl: 'http://127.0.0.1:8080', model: 'nomic-embed-text', dim: 768, sendDimensions: false,
 *   batchSize: 32, concurrency: 4, timeoutMs: 30_000, maxRetries: 8, retryBaseMs: 200, retryMaxMs: 30_000 });
 */
export function createOpenAiEmbedder(opts: OpenAiEmbedderOptions): Embedder {
  return new OpenAiEmbedder(opts);
}
