/**
 * The tune command's embedding probe (issue 14 part 5): when nodes lack embeddings, generation is the
 * whole cost of a backfill, so tune times the generation options on texts of those very nodes: the local
 * model in fp32 and q8 (`model.dtype`), or, with model.provider openai, the server at several request
 * concurrencies (`model.concurrency`); and reports the cosine between the fp32 and q8 vectors of the same
 * texts, so a user sees what q8 costs in fidelity before choosing it.
 */
import { availableParallelism } from 'node:os';
import type { ResolvedConfig } from '../config/config-schema.js';
import { createEmbedder, type Embedder } from '../embed/embedder.js';
import { createOpenAiEmbedder } from '../embed/openai-embedder.js';
import { choosePoolSizing } from '../engine/worker-pool.js';
import { workerModelOptions } from '../engine/worker-model-options.js';
import { errorMessage } from '../errors.js';
import { EMBEDDING_DIM } from '../mapping/types.js';
import { cosine } from '../shared/cosine.js';
import { sampleMissingTexts } from './missing-texts.js';

export interface EmbeddingOptionResult {
  /** Local model: the dtype tried; null with provider openai. */
  dtype: 'fp32' | 'q8' | null;
  /** Provider openai: requests in flight per worker thread tried; null for the local model. */
  concurrency: number | null;
  /** Texts per second over the sample (after a warm-up call); 0 when the option failed. */
  textsPerSecond: number;
  /** Why the option could not run (e.g. no onnx/model_quantized.onnx), else null. */
  error: string | null;
}

/** fp32 against q8 on the same texts: both unit vectors, so cosine 1 means identical directions. */
export interface DtypeFidelity {
  texts: number;
  meanCosine: number;
  minCosine: number;
}

export interface EmbeddingProbeReport {
  provider: 'local' | 'openai';
  /** Nodes of the run's labels without an embedding (counted), and the texts timed (read from them). */
  missing: number;
  texts: number;
  options: EmbeddingOptionResult[];
  fidelity: DtypeFidelity | null;
  recommendation: { dtype: 'fp32' | 'q8' | null; concurrency: number | null; reason: string } | null;
}

export interface EmbeddingProbeOptions {
  /** Texts to time per option (default 64). */
  texts?: number;
  /** provider openai: per-worker concurrencies to try (default: 1, the configured one, 4 × it). */
  concurrency?: number[];
  cores?: number;
}

/** q8 is recommended only when it is this much faster than fp32 ... */
const Q8_MIN_SPEEDUP = 1.1;
/** ... and its vectors stay this close to fp32's on average. */
const Q8_MIN_MEAN_COSINE = 0.99;

async function timeEmbedders(embedders: Embedder[], texts: string[]): Promise<{ rate: number; vectors: Float32Array }> {
  const vectors = new Float32Array(texts.length * EMBEDDING_DIM);
  await Promise.all(embedders.map((e) => e.embed(texts.slice(0, 2), new Float32Array(2 * e.dim), 0))); // warm-up
  const share = Math.ceil(texts.length / embedders.length);
  const t0 = performance.now();
  await Promise.all(embedders.map((e, i) => e.embed(texts.slice(i * share, (i + 1) * share), vectors, i * share)));
  return { rate: (texts.length * 1000) / Math.max(1e-6, performance.now() - t0), vectors };
}

/** Each dtype once, with all the cores' threads in one session (the pool's layout matters less than dtype here). */
async function localOptions(
  config: ResolvedConfig,
  texts: string[],
  cores: number,
): Promise<{ options: EmbeddingOptionResult[]; vectors: Map<string, Float32Array> }> {
  const m = config.model;
  const options: EmbeddingOptionResult[] = [];
  const vectors = new Map<string, Float32Array>();
  for (const dtype of ['fp32', 'q8'] as const) {
    let embedder: Embedder | null = null;
    try {
      embedder = await createEmbedder({
        model: m.path,
        allowRemote: m.allowRemote,
        dtype,
        threads: cores,
        maxTokens: m.maxTokens,
        device: m.device,
        ...(m.sortByLength ? { lengthBatching: { batchSize: m.batchSize, tokenBudget: m.tokensPerBatch } } : {}),
      });
      const { rate, vectors: v } = await timeEmbedders([embedder], texts);
      vectors.set(dtype, v);
      options.push({ dtype, concurrency: null, textsPerSecond: round(rate, 1), error: null });
    } catch (err) {
      options.push({ dtype, concurrency: null, textsPerSecond: 0, error: errorMessage(err) });
    } finally {
      await embedder?.dispose();
    }
  }
  return { options, vectors };
}

/** One client per pool worker, as the backfill runs them, each with `concurrency` requests in flight. */
async function remoteOptions(config: ResolvedConfig, texts: string[], levels: number[]): Promise<EmbeddingOptionResult[]> {
  const remote = workerModelOptions(config.model).remote!;
  const workers = choosePoolSizing(config.engine).workers;
  const options: EmbeddingOptionResult[] = [];
  for (const concurrency of levels) {
    const clients = Array.from({ length: workers }, () =>
      createOpenAiEmbedder({
        baseUrl: remote.url,
        model: remote.name,
        apiKey: remote.apiKey,
        dim: EMBEDDING_DIM,
        sendDimensions: remote.sendDimensions,
        batchSize: config.model.batchSize,
        concurrency,
        timeoutMs: remote.timeoutMs,
        maxRetries: remote.maxRetries,
        retryBaseMs: remote.retryBaseMs,
        retryMaxMs: remote.retryMaxMs,
      }),
    );
    try {
      const { rate } = await timeEmbedders(clients, texts);
      options.push({ dtype: null, concurrency, textsPerSecond: round(rate, 1), error: null });
    } catch (err) {
      options.push({ dtype: null, concurrency, textsPerSecond: 0, error: errorMessage(err) });
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  }
  return options;
}

/** Mean and least cosine between row i of `a` and row i of `b`. */
export function dtypeFidelity(a: Float32Array, b: Float32Array, dim = EMBEDDING_DIM): DtypeFidelity {
  const rows = Math.min(a.length, b.length) / dim;
  let sum = 0;
  let min = 1;
  for (let i = 0; i < rows; i++) {
    const c = cosine(a.subarray(i * dim, (i + 1) * dim), b.subarray(i * dim, (i + 1) * dim));
    sum += c;
    min = Math.min(min, c);
  }
  return { texts: rows, meanCosine: round(rows > 0 ? sum / rows : 0, 5), minCosine: round(min, 5) };
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

/** Which option to use, and why (see Q8_MIN_SPEEDUP and Q8_MIN_MEAN_COSINE). */
export function recommendEmbedding(options: EmbeddingOptionResult[], fidelity: DtypeFidelity | null): EmbeddingProbeReport['recommendation'] {
  const ran = options.filter((o) => o.error === null && o.textsPerSecond > 0);
  if (ran.length === 0) return null;
  if (ran[0]!.dtype === null) {
    // Remote: the fewest requests in flight within 10% of the fastest (more only loads the server).
    const fastest = Math.max(...ran.map((o) => o.textsPerSecond));
    const pick = ran.filter((o) => o.textsPerSecond >= 0.9 * fastest).sort((a, b) => a.concurrency! - b.concurrency!)[0]!;
    return {
      dtype: null,
      concurrency: pick.concurrency,
      reason: `model.concurrency ${pick.concurrency}: ${pick.textsPerSecond} texts/s, within 10% of the fastest (${fastest})`,
    };
  }
  const fp32 = ran.find((o) => o.dtype === 'fp32');
  const q8 = ran.find((o) => o.dtype === 'q8');
  if (!q8 || !fp32) return { dtype: (fp32 ?? q8)!.dtype, concurrency: null, reason: 'the only dtype that ran' };
  const speedup = q8.textsPerSecond / fp32.textsPerSecond;
  const mean = fidelity?.meanCosine ?? 0;
  const figures = `q8 ${speedup.toFixed(2)}× fp32's texts/s, mean cosine to fp32 ${mean} (least ${fidelity?.minCosine ?? '-'})`;
  if (speedup >= Q8_MIN_SPEEDUP && mean >= Q8_MIN_MEAN_COSINE) return { dtype: 'q8', concurrency: null, reason: `model.dtype q8: ${figures}` };
  const why = speedup < Q8_MIN_SPEEDUP ? `under ${Q8_MIN_SPEEDUP}× faster` : `mean cosine under ${Q8_MIN_MEAN_COSINE}`;
  return { dtype: 'fp32', concurrency: null, reason: `model.dtype fp32: ${figures}; q8 is ${why}` };
}

/**
 * Runs the probe; null when the run generates no embeddings (generation off, or every node has one).
 * The sample texts come from the source's nodes without an embedding, made as the backfill makes them.
 */
export async function probeEmbeddings(config: ResolvedConfig, o: EmbeddingProbeOptions = {}): Promise<EmbeddingProbeReport | null> {
  if (!config.mapping.generateMissingEmbeddings) return null;
  const { missing, texts } = await sampleMissingTexts(config, o.texts ?? 64);
  if (missing === 0 || texts.length === 0) return null;
  const cores = o.cores ?? availableParallelism();
  if (config.model.provider === 'openai') {
    const c = config.model.concurrency;
    const levels = o.concurrency ?? [...new Set([1, c, 4 * c])];
    const options = await remoteOptions(config, texts, levels);
    return { provider: 'openai', missing, texts: texts.length, options, fidelity: null, recommendation: recommendEmbedding(options, null) };
  }
  const { options, vectors } = await localOptions(config, texts, cores);
  const fp32 = vectors.get('fp32');
  const q8 = vectors.get('q8');
  const fidelity = fp32 && q8 ? dtypeFidelity(fp32, q8) : null;
  return { provider: 'local', missing, texts: texts.length, options, fidelity, recommendation: recommendEmbedding(options, fidelity) };
}
