/**
 * Thread of the embedding benchmark's "ONNX Runtime alone" baseline: one InferenceSession with `threads`
 * intra-op threads, fed pre-tokenised batches; no tokenising, no pooling, no piscina. onnxruntime-node runs
 * a session synchronously on the calling thread, so W sessions side by side need W threads, as in the pool.
 * Messages: in `{ batches: number[] }`, out `{ done: number }`; `ready` once the first run (warm-up) is over.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface OrtFeedData {
  dims: number[];
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

const { modelFile, threads, feeds } = workerData as { modelFile: string; threads: number; feeds: OrtFeedData[] };

const session = await ort.InferenceSession.create(modelFile, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});

async function runOne(i: number): Promise<void> {
  const f = feeds[i]!;
  const out = await session.run({
    input_ids: new ort.Tensor('int64', f.inputIds, f.dims),
    attention_mask: new ort.Tensor('int64', f.attentionMask, f.dims),
    token_type_ids: new ort.Tensor('int64', f.tokenTypeIds, f.dims),
  });
  for (const t of Object.values(out)) t.dispose();
}

await runOne(0);
parentPort!.on('message', (message: { batches: number[] } | 'close') => {
  if (message === 'close') {
    void session.release().then(() => process.exit(0));
    return;
  }
  void (async () => {
    for (const i of message.batches) await runOne(i);
    parentPort!.postMessage({ done: message.batches.length });
  })();
});
parentPort!.postMessage('ready');
