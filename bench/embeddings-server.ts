/**
 * The OpenAI-compatible embeddings double (test/helpers/embeddings-double.ts) answering with the project's
 * own model, as its own process: what the 20%-missing backfill bench points `model.provider: openai` at.
 * Each request's texts go through the same embedder a local backfill worker uses (same model file, dtype,
 * length grouping), one request at a time, with `--threads` intra-op threads: the server does the real
 * inference work per text, so the remote run pays inference plus HTTP and JSON, not HTTP alone.
 *
 *   node dist/bench/embeddings-server.js --model ./models/bench [--dtype fp32] [--threads 2] [--batch 16] [--tokens-per-batch 1024]
 * Prints `EMBEDDINGS SERVER READY <url>`; exits when its stdin closes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface EmbeddingsServerOptions {
  model: string;
  dtype: 'fp32' | 'q8';
  threads: number;
  batch: number;
  tokensPerBatch: number;
}

/** Starts the server as a child process; resolves with its URL and a stop function once it listens. */
export function spawnEmbeddingsServer(o: EmbeddingsServerOptions): Promise<{ url: string; stop: () => Promise<void> }> {
  const args = [
    '--model',
    o.model,
    '--dtype',
    o.dtype,
    '--threads',
    String(o.threads),
    '--batch',
    String(o.batch),
    '--tokens-per-batch',
    String(o.tokensPerBatch),
  ];
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`embeddings server exited with ${code} before it was ready`)));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /EMBEDDINGS SERVER READY (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, stop: () => (child.stdin.end(), exited) });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: './models/bench' },
      dtype: { type: 'string', default: 'fp32' },
      threads: { type: 'string', default: '2' },
      batch: { type: 'string', default: '16' },
      'tokens-per-batch': { type: 'string', default: '1024' },
    },
  });
  const { createEmbedder } = await import('../src/embed/embedder.js');
  const { startEmbeddingsDouble } = await import('../test/helpers/embeddings-double.js');
  const embedder = await createEmbedder({
    model: values.model,
    dtype: values.dtype === 'q8' ? 'q8' : 'fp32',
    threads: Number(values.threads),
    lengthBatching: { batchSize: Number(values.batch), tokenBudget: Number(values['tokens-per-batch']) },
  });
  // One ONNX session: requests take turns, as a single-model inference server's queue does.
  let turn: Promise<unknown> = Promise.resolve();
  const vectors = (texts: string[]): Promise<Float32Array[]> => {
    const run = turn.then(async () => {
      const out = new Float32Array(texts.length * embedder.dim);
      await embedder.embed(texts, out, 0);
      return texts.map((_, i) => out.subarray(i * embedder.dim, (i + 1) * embedder.dim));
    });
    turn = run.catch(() => undefined);
    return run;
  };
  const server = await startEmbeddingsDouble({ vectors });
  process.stdin.on('end', () => void server.stop().then(() => process.exit(0)));
  process.stdin.resume();
  console.log(`EMBEDDINGS SERVER READY ${server.url}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
