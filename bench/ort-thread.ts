/**
 * The "ONNX Runtime alone" baseline threads shared by the embedding benches: a thread running one
 * InferenceSession over pre-tokenised feeds (embedding-ort-worker.ts), and the feeds themselves.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import type { OrtFeedData } from './embedding-ort-worker.js';
import { planLengthBatches, type LengthBatchOptions } from '../src/embed/length-batches.js';

/** Starts one baseline thread and waits for its warm-up run (feed 0). */
export function ortThread(modelFile: string, threads: number, feeds: OrtFeedData[]): Promise<Worker> {
  const file = fileURLToPath(new URL('./embedding-ort-worker.js', import.meta.url));
  const worker = new Worker(file, { workerData: { modelFile, threads, feeds } });
  return new Promise((resolvePromise, reject) => {
    worker.once('error', reject);
    worker.once('message', () => resolvePromise(worker));
  });
}

/** Runs the given feeds, one after another, on the thread. */
export function runOn(worker: Worker, batches: number[]): Promise<void> {
  return new Promise((resolvePromise) => {
    worker.once('message', () => resolvePromise());
    worker.postMessage({ batches });
  });
}

export async function closeOrtThread(worker: Worker): Promise<void> {
  const exited = new Promise((r) => worker.once('exit', r));
  worker.postMessage('close');
  await exited;
}

/**
 * Tokenised feeds of `texts`: in row order in chunks of `batch` when `sorted` is not given, else grouped
 * by token length exactly as the embedder groups them (planLengthBatches over the same lengths).
 */
export async function tokenise(modelDir: string, texts: string[], batch: number, maxTokens: number, sorted?: LengthBatchOptions): Promise<OrtFeedData[]> {
  const tokenizer = await AutoTokenizer.from_pretrained(resolve(modelDir), { local_files_only: true });
  const groups: string[][] = [];
  if (sorted) {
    const lengths = texts.map((t) => Math.min(maxTokens, tokenizer.encode(t).length));
    for (const rows of planLengthBatches(lengths, sorted)) groups.push(rows.map((r) => texts[r]!));
  } else for (let i = 0; i < texts.length; i += batch) groups.push(texts.slice(i, i + batch));
  return groups.map((group) => {
    const enc = tokenizer(group, { padding: true, truncation: true, max_length: maxTokens }) as Record<string, { data: BigInt64Array; dims: number[] }>;
    return { dims: enc.input_ids!.dims, inputIds: enc.input_ids!.data, attentionMask: enc.attention_mask!.data, tokenTypeIds: enc.token_type_ids!.data };
  });
}
