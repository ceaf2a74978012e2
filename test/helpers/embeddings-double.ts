import { startTinyServer, type TinyAnswer, type TinyRequest } from './tiny-http.js';

/** One answer to give instead of the normal one, taken in order by the next requests. */
export type EmbeddingFault =
  | { status: 429; retryAfter?: string }
  | { status: 500 | 503 | 401 | 400 }
  | { width: number }
  | { malformed: 'not-json' | 'no-data' | 'short' | 'strings' };

export interface EmbeddingsDouble {
  url: string;
  requests: TinyRequest[];
  /** Faults still to give; push more at any time. */
  faults: EmbeddingFault[];
  /** Most requests the double held at once. */
  maxInFlight: number;
  stop(): Promise<void>;
}

/** A deterministic, unnormalised vector for a text: what the double answers for it. */
export function fakeVector(text: string, dim = 768): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return Array.from({ length: dim }, (_, i) => Math.sin(h + i * 0.37) * 3);
}

/** Computes the vectors of a request's texts (a real model, for benchmarks); default {@link fakeVector}. */
export type DoubleVectors = (texts: string[]) => Promise<ArrayLike<number>[]>;

async function answer(body: { input: string[] }, fault: EmbeddingFault | undefined, vectors: DoubleVectors | undefined): Promise<TinyAnswer> {
  if (fault && 'status' in fault) {
    const headers: Record<string, string> = fault.status === 429 && fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
    return { status: fault.status, body: { error: { message: `fault ${fault.status}` } }, headers };
  }
  if (fault && 'malformed' in fault) {
    if (fault.malformed === 'not-json') return { status: 200, body: '<html>proxy error</html>' };
    if (fault.malformed === 'no-data') return { status: 200, body: { object: 'list' } };
    if (fault.malformed === 'strings') return { status: 200, body: { data: body.input.map((_, index) => ({ index, embedding: 'AAAA' })) } };
    return { status: 200, body: { data: body.input.slice(1).map((t, index) => ({ index, embedding: fakeVector(t) })) } };
  }
  const width = fault && 'width' in fault ? fault.width : 768;
  const computed = vectors && width === 768 ? (await vectors(body.input)).map((v) => Array.from(v)) : null;
  // Reversed on purpose: clients must place vectors by `index`, not by position.
  const data = body.input.map((t, index) => ({ object: 'embedding', index, embedding: computed?.[index] ?? fakeVector(t, width) })).reverse();
  return { status: 200, body: { object: 'list', data, model: 'double', usage: { prompt_tokens: 0, total_tokens: 0 } } };
}

/**
 * A small double of the OpenAI-compatible `POST /v1/embeddings` API (what text-embeddings-inference,
 * vLLM, Ollama and OpenAI serve) on a free port, with faults on demand. `options.vectors` answers with
 * real vectors (bench/embeddings-server.ts runs the project's model behind it) instead of fake ones.
 */
export async function startEmbeddingsDouble(options: { vectors?: DoubleVectors } = {}): Promise<EmbeddingsDouble> {
  const faults: EmbeddingFault[] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const server = await startTinyServer(async (req) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    // Let other requests of the same burst arrive before this one is answered.
    await new Promise((r) => setImmediate(r));
    inFlight--;
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') return { status: 404, body: { error: { message: 'not found' } } };
    return answer(JSON.parse(req.body) as { input: string[] }, faults.shift(), options.vectors);
  });
  return {
    url: server.url,
    requests: server.requests,
    faults,
    get maxInFlight() {
      return state.maxInFlight;
    },
    stop: () => server.stop(),
  };
}
