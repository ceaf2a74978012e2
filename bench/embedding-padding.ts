/**
 * Padding waste (issue 14): texts/s of one page embedded in today's row order (chunks of `batch`, each
 * padded to its longest text) against the same page grouped by token length (model.sortByLength), with
 * the same model, threads and batch size, interleaved in one run, each figure printed with the load
 * average. The corpus mixes lengths as a real graph does: names, short notes, paragraphs and documents
 * past `maxTokens`. Target: sorted ≥ 1.5× row order. Beside it, the pool fed the page against ONNX Runtime
 * alone fed the same length-grouped batches (target ≥ 0.9×): what tokenising, piscina and pooling cost.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createEmbedder } from '../src/embed/embedder.js';
import { WorkerPool } from '../src/engine/worker-pool.js';
import { sharedFloat32 } from '../src/shared/shared-memory.js';
import { closeOrtThread, ortThread, runOn, tokenise } from './ort-thread.js';

export interface PaddingBenchOptions {
  model: string;
  dtype: 'fp32' | 'q8';
  threads: number;
  batch: number;
  tokensPerBatch: number;
  maxTokens: number;
  texts: number;
  rounds: number;
  log: (line: string) => void;
}

const WORDS =
  'graph memory neo4j engram vector node edge query index batch stream worker thread cosine model token layer weight recall activation decay schema cursor backfill validate shadow cutover rollback queue retry limit bundle'.split(
    ' ',
  );

/** Deterministic texts: 40% names (1-3 words), 30% notes (8-30), 20% paragraphs (40-120), 10% documents (300+ words, cut at maxTokens). */
export function spreadTexts(n: number): string[] {
  let state = 424242;
  const next = (): number => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const words = (lo: number, hi: number): string =>
    Array.from({ length: lo + Math.floor(next() * (hi - lo)) }, () => WORDS[Math.floor(next() * WORDS.length)]!).join(' ');
  return Array.from({ length: n }, () => {
    const r = next();
    return r < 0.4 ? words(1, 4) : r < 0.7 ? words(8, 31) : r < 0.9 ? words(40, 121) : words(300, 400);
  });
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

export interface PaddingBenchResult {
  rowOrder: number;
  sorted: number;
  poolSorted: number;
  ortSorted: number;
  /** sorted / rowOrder: what grouping by length buys (target ≥ 1.5). */
  ratio: number;
  /** poolSorted / ortSorted: what the pool costs over ONNX Runtime alone on the same sorted batches (target ≥ 0.9). */
  poolVsOrt: number;
  load: string;
}

/**
 * Four variants, interleaved, best of `rounds`: the embedder in this thread in row order and grouped by
 * length; the pool (1 worker × `threads`, model.sortByLength) given the page as one task; and ONNX Runtime
 * alone in a thread of its own (1 session × `threads`) fed the same length-grouped batches, pre-tokenised.
 */
export async function runPaddingBench(o: PaddingBenchOptions): Promise<PaddingBenchResult> {
  const base = { model: o.model, dtype: o.dtype, threads: o.threads, maxTokens: o.maxTokens };
  const grouping = { batchSize: o.batch, tokenBudget: o.tokensPerBatch };
  const plain = await createEmbedder(base);
  const sorted = await createEmbedder({ ...base, lengthBatching: grouping });
  const texts = spreadTexts(o.texts);
  const pool = new WorkerPool(
    { workers: 1, inferenceThreads: o.threads },
    {
      path: resolve(o.model),
      allowRemote: false,
      dtype: o.dtype,
      maxTokens: o.maxTokens,
      batchSize: o.batch,
      device: 'cpu',
      sortByLength: true,
      tokensPerBatch: o.tokensPerBatch,
    },
  );
  const feeds = await tokenise(o.model, texts, o.batch, o.maxTokens, grouping);
  const ort = await ortThread(join(resolve(o.model), 'onnx', o.dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx'), o.threads, feeds);
  const out = new Float32Array(texts.length * plain.dim);
  const shared = sharedFloat32(texts.length * plain.dim);
  const variants = {
    // What the worker did before: chunks of `batch` in row order.
    rowOrder: async () => {
      for (let i = 0; i < texts.length; i += o.batch) await plain.embed(texts.slice(i, i + o.batch), out, i);
    },
    sorted: () => sorted.embed(texts, out, 0),
    poolSorted: () => pool.run({ kind: 'embed', texts, out: shared, offset: 0 }),
    ortSorted: () =>
      runOn(
        ort,
        feeds.map((_, i) => i),
      ),
  };
  type Name = keyof typeof variants;
  const names = Object.keys(variants) as Name[];
  const best: Record<Name, number> = { rowOrder: 0, sorted: 0, poolSorted: 0, ortSorted: 0 };
  try {
    await plain.embed(texts.slice(0, o.batch), out);
    await sorted.embed(texts.slice(0, o.batch), out);
    await pool.run({ kind: 'embed', texts: texts.slice(0, o.batch), out: shared, offset: 0 });
    for (let round = 0; round < o.rounds; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const t0 = performance.now();
        await variants[name]();
        const rate = (texts.length * 1000) / (performance.now() - t0);
        o.log(`  round ${round + 1} ${name.padEnd(10)} ${rate.toFixed(1)} texts/s  (load average ${load()})`);
        best[name] = Math.max(best[name], rate);
      }
    }
  } finally {
    await plain.dispose();
    await sorted.dispose();
    await pool.close();
    await closeOrtThread(ort);
  }
  const fixed = (x: number, digits: number): number => Number(x.toFixed(digits));
  return {
    rowOrder: fixed(best.rowOrder, 1),
    sorted: fixed(best.sorted, 1),
    poolSorted: fixed(best.poolSorted, 1),
    ortSorted: fixed(best.ortSorted, 1),
    ratio: fixed(best.sorted / best.rowOrder, 2),
    poolVsOrt: fixed(best.poolSorted / best.ortSorted, 2),
    load: load(),
  };
}
