/**
 * Padding waste (issue 14): texts/s of one page embedded in today's row order (chunks of `batch`, each
 * padded to its longest text) against the same page grouped by token length (model.sortByLength), with
 * the same model, threads and batch size, interleaved in one run, each figure printed with the load
 * average. The corpus mixes lengths as a real graph does: names, short notes, paragraphs and documents
 * past `maxTokens`. Target: sorted ≥ 1.5× row order.
 */
import { loadavg } from 'node:os';
import { createEmbedder } from '../src/embed/embedder.js';

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

export async function runPaddingBench(o: PaddingBenchOptions): Promise<{ rowOrder: number; sorted: number; ratio: number; load: string }> {
  const base = { model: o.model, dtype: o.dtype, threads: o.threads, maxTokens: o.maxTokens };
  const plain = await createEmbedder(base);
  const sorted = await createEmbedder({ ...base, lengthBatching: { batchSize: o.batch, tokenBudget: o.tokensPerBatch } });
  const texts = spreadTexts(o.texts);
  const out = new Float32Array(texts.length * plain.dim);
  const variants = {
    // What the worker did before: chunks of `batch` in row order.
    rowOrder: async () => {
      for (let i = 0; i < texts.length; i += o.batch) await plain.embed(texts.slice(i, i + o.batch), out, i);
    },
    sorted: () => sorted.embed(texts, out, 0),
  };
  const best = { rowOrder: 0, sorted: 0 };
  try {
    await plain.embed(texts.slice(0, o.batch), out);
    await sorted.embed(texts.slice(0, o.batch), out);
    for (let round = 0; round < o.rounds; round++) {
      const names = (round % 2 === 0 ? ['rowOrder', 'sorted'] : ['sorted', 'rowOrder']) as Array<keyof typeof variants>;
      for (const name of names) {
        const t0 = performance.now();
        await variants[name]();
        const rate = (texts.length * 1000) / (performance.now() - t0);
        o.log(`  round ${round + 1} ${name.padEnd(8)} ${rate.toFixed(1)} texts/s  (load average ${load()})`);
        best[name] = Math.max(best[name], rate);
      }
    }
  } finally {
    await plain.dispose();
    await sorted.dispose();
  }
  return {
    rowOrder: Number(best.rowOrder.toFixed(1)),
    sorted: Number(best.sorted.toFixed(1)),
    ratio: Number((best.sorted / best.rowOrder).toFixed(2)),
    load: load(),
  };
}
