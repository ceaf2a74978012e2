/**
 * Embedding throughput (issue 6): texts/s through the worker pool (`embed` tasks: tokenise, ONNX Runtime,
 * mean-pool, normalise into shared buffers) against ONNX Runtime alone (`InferenceSession.run` on the same
 * model file, pre-tokenised inputs of the same batches, no pooling), with the same batch size and the same
 * total threads in the same layout (pool W workers × T threads ↔ W sessions × T intra-op threads run side
 * by side, each session in its own thread as each pool worker is). Variants run interleaved, best of `--rounds`, so both see the same machine load.
 * Target: the pool reaches ≥ 85% of ONNX Runtime alone.
 *
 *   npm run build && node dist/bench/embedding.js [--model ./models/bench] [--dtype fp32|q8] [--texts 96]
 *     [--batch 16] [--rounds 2] [--layouts 1x2,2x1]
 * Prints a table and one JSON line; writes bench/results/embedding.json.
 *
 *   node dist/bench/embedding.js --padding [--texts 128] [--batch 16] [--tokens-per-batch 1024] [--threads 2]
 * instead measures padding waste (embedding-padding.ts): one page of mixed-length texts in row order
 * against grouped by length, and the pool against ONNX Runtime alone fed the same grouped batches, with the
 * load average beside each figure; writes bench/results/embedding-padding.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Worker } from 'node:worker_threads';
import type { OrtFeedData } from './embedding-ort-worker.js';
import { ensureModel, MODEL_PRESETS } from '../src/embed/ensure-model.js';
import { WorkerPool } from '../src/engine/worker-pool.js';
import { sharedFloat32 } from '../src/shared/shared-memory.js';
import { runPaddingBench } from './embedding-padding.js';
import { closeOrtThread, ortThread, runOn, tokenise } from './ort-thread.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: './models/bench' },
    dtype: { type: 'string', default: 'fp32' },
    texts: { type: 'string', default: '96' },
    batch: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    layouts: { type: 'string', default: '1x2,2x1' },
    'max-tokens': { type: 'string', default: '256' },
    out: { type: 'string', default: 'bench/results/embedding.json' },
    padding: { type: 'boolean', default: false },
    threads: { type: 'string', default: '2' },
    'tokens-per-batch': { type: 'string', default: '1024' },
  },
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const WORDS =
  'graph memory neo4j engram vector node edge query index batch stream worker thread cosine model token layer weight recall activation decay schema cursor backfill validate shadow cutover rollback queue retry limit bundle'.split(
    ' ',
  );

/** Deterministic texts of 40-70 words (about 50-90 tokens with the generated vocabulary). */
function makeTexts(n: number): string[] {
  let state = 12345;
  const next = (): number => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, () => Array.from({ length: 40 + Math.floor(next() * 30) }, () => WORDS[Math.floor(next() * WORDS.length)]!).join(' '));
}

interface Layout {
  workers: number;
  threads: number;
}

/** Runs `work(i)` for i in [0, n) with `width` running at once. */
async function lanes(n: number, width: number, work: (i: number, lane: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async (_, lane) => {
      while (next < n) await work(next++, lane);
    }),
  );
}

interface Variant {
  name: string;
  layout: Layout;
  kind: 'ort' | 'pool';
  /** Embeds every text once; returns texts/s. */
  run(): Promise<number>;
  close(): Promise<void>;
}

async function ortVariant(modelFile: string, layout: Layout, feeds: OrtFeedData[], texts: number): Promise<Variant> {
  const threads: Worker[] = [];
  for (let i = 0; i < layout.workers; i++) threads.push(await ortThread(modelFile, layout.threads, feeds));
  // Batch b goes to thread b mod W: equal batches, so the split is even.
  const share = threads.map((_, w) => feeds.map((_, b) => b).filter((b) => b % layout.workers === w));
  return {
    name: `ort ${layout.workers}×${layout.threads}`,
    layout,
    kind: 'ort',
    run: async () => {
      const t0 = performance.now();
      await Promise.all(threads.map((t, w) => runOn(t, share[w]!)));
      return (texts * 1000) / (performance.now() - t0);
    },
    close: async () => {
      await Promise.all(threads.map(closeOrtThread));
    },
  };
}

async function poolVariant(modelDir: string, dtype: 'fp32' | 'q8', layout: Layout, texts: string[], batch: number, maxTokens: number): Promise<Variant> {
  const pool = new WorkerPool(
    { workers: layout.workers, inferenceThreads: layout.threads },
    { path: resolve(modelDir), allowRemote: false, dtype, maxTokens, batchSize: batch, device: 'cpu', sortByLength: false, tokensPerBatch: batch * 64 },
  );
  const batches = Math.ceil(texts.length / batch);
  const outs = Array.from({ length: 2 * layout.workers }, () => sharedFloat32(batch * 768));
  // One task running and one queued per worker, so a worker never waits for the main thread.
  const once = (i: number, lane: number): Promise<unknown> =>
    pool.run({ kind: 'embed', texts: texts.slice(i * batch, (i + 1) * batch), out: outs[lane]!, offset: 0 });
  await lanes(2 * layout.workers, 2 * layout.workers, once); // warm-up: every worker loads the model
  return {
    name: `pool ${layout.workers}×${layout.threads}`,
    layout,
    kind: 'pool',
    run: async () => {
      const t0 = performance.now();
      await lanes(batches, 2 * layout.workers, once);
      return (texts.length * 1000) / (performance.now() - t0);
    },
    close: () => pool.close(),
  };
}

function parseLayouts(text: string): Layout[] {
  return text.split(',').map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (!m) throw new Error(`--layouts: expected WxT pairs such as 1x2,2x1, got ${JSON.stringify(s)}`);
    return { workers: Number(m[1]), threads: Number(m[2]) };
  });
}

async function main(): Promise<void> {
  const dtype = values.dtype === 'q8' ? 'q8' : values.dtype === 'fp32' ? 'fp32' : null;
  if (dtype === null) throw new Error(`--dtype: expected fp32 or q8, got ${values.dtype}`);
  const model = values.model;
  if (resolve(model) === resolve('models/bench')) await ensureModel(resolve('models/bench'), MODEL_PRESETS.bench);
  const batch = Number(values.batch);
  const maxTokens = Number(values['max-tokens']);
  if (values.padding) return paddingMain(model, dtype, batch, maxTokens);
  const texts = makeTexts(Number(values.texts));
  const feeds = await tokenise(model, texts, batch, maxTokens);
  const tokens = feeds.reduce((n, f) => n + f.dims[0]! * f.dims[1]!, 0);
  log(`${texts.length} texts (${Math.round(tokens / texts.length)} padded tokens each), batch ${batch}, ${dtype}, model ${model}`);
  const modelFile = join(resolve(model), 'onnx', dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
  const variants: Variant[] = [];
  for (const layout of parseLayouts(values.layouts)) {
    variants.push(await ortVariant(modelFile, layout, feeds, texts.length));
    variants.push(await poolVariant(model, dtype, layout, texts, batch, maxTokens));
  }
  const best = new Map<string, number>();
  try {
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        const rate = await v.run();
        log(`  round ${round + 1} ${v.name}: ${rate.toFixed(1)} texts/s`);
        best.set(v.name, Math.max(best.get(v.name) ?? 0, rate));
      }
    }
  } finally {
    for (const v of variants) await v.close();
  }
  report(variants, best, { texts: texts.length, batch, dtype, model, tokensPerText: Math.round(tokens / texts.length) });
}

async function paddingMain(model: string, dtype: 'fp32' | 'q8', batch: number, maxTokens: number): Promise<void> {
  const setup = {
    model,
    dtype,
    batch,
    maxTokens,
    texts: Number(values.texts),
    threads: Number(values.threads),
    tokensPerBatch: Number(values['tokens-per-batch']),
    rounds: Number(values.rounds),
  };
  log(
    `padding: ${setup.texts} mixed-length texts, batch ${batch}, ${setup.tokensPerBatch} tokens per batch, ${setup.threads} threads, ${dtype}, model ${model}`,
  );
  const r = await runPaddingBench({ ...setup, tokensPerBatch: setup.tokensPerBatch, log });
  console.log(`row order ${r.rowOrder} texts/s, sorted by length ${r.sorted} texts/s: ${r.ratio}× (target ≥ 1.5) at load average ${r.load}`);
  console.log(`pool sorted ${r.poolSorted} texts/s, ORT alone on the same sorted batches ${r.ortSorted} texts/s: ${r.poolVsOrt}× (target ≥ 0.9)`);
  const result = { bench: 'embedding-padding', at: new Date().toISOString(), setup, ...r, target: 1.5, poolVsOrtTarget: 0.9 };
  const out = values.out === 'bench/results/embedding.json' ? 'bench/results/embedding-padding.json' : values.out;
  mkdirSync(resolve(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
}

function report(variants: Variant[], best: Map<string, number>, setup: Record<string, unknown>): void {
  const rate = (name: string): number => Number((best.get(name) ?? 0).toFixed(1));
  const rows = variants
    .filter((v) => v.kind === 'pool')
    .map((v) => {
      const ortName = `ort ${v.layout.workers}×${v.layout.threads}`;
      return {
        layout: `${v.layout.workers}x${v.layout.threads}`,
        poolTextsPerSecond: rate(v.name),
        ortTextsPerSecond: rate(ortName),
        ratio: Number((rate(v.name) / rate(ortName)).toFixed(3)),
      };
    });
  const bestPool = Math.max(...rows.map((r) => r.poolTextsPerSecond));
  const bestOrt = Math.max(...rows.map((r) => r.ortTextsPerSecond));
  const summary = { bestPool, bestOrt, ratio: Number((bestPool / bestOrt).toFixed(3)), target: 0.85 };
  console.log('layout  pool texts/s  ORT alone texts/s  pool / ORT');
  for (const r of rows)
    console.log(`${r.layout.padEnd(6)}  ${String(r.poolTextsPerSecond).padStart(12)}  ${String(r.ortTextsPerSecond).padStart(17)}  ${r.ratio.toFixed(3)}`);
  console.log(`best pool ${bestPool} / best ORT ${bestOrt} = ${summary.ratio} (target ≥ 0.85)`);
  const result = { bench: 'embedding', at: new Date().toISOString(), setup, rows, summary };
  mkdirSync(resolve(values.out, '..'), { recursive: true });
  writeFileSync(values.out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
}

await main();
process.exit(0);
