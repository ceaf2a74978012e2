/**
 * Batched exact cosine for the dedup predictor, on ONNX Runtime's CPU matrix product (MLAS, the same
 * runtime the embedding workers load). One batch of queries against a block of held rows is one GEMM
 * (`Q · Hᵀ`), followed in the graph by TopK so only the best few scores per query come back. Every score
 * is computed, so nothing is missed the way an approximate index (HNSW) can miss a pair; measured in
 * bench/dedup-index.ts at ~70 GFLOP/s on one core of the 2-core machine (0.2 ms per write against a space
 * of 10,000 memories, where the server itself spends ~11 ms scanning).
 */
import * as ort from 'onnxruntime-node';
import { ElemType, OnnxGraphBuilder, type TensorSpec } from '../embed/onnx-graph-builder.js';
import { EMBEDDING_DIM } from '../mapping/types.js';

/** Best scores per query and block that come back from the graph; more matches than this fall back to a full scan. */
export const TOP_K = 8;

const D = EMBEDDING_DIM;

function model(topK: boolean): Uint8Array {
  const b = new OnnxGraphBuilder();
  const scores = b.op('Gemm', ['queries', 'rows'], { transB: 1 });
  const outputs: TensorSpec[] = [{ name: 'scores', elemType: ElemType.FLOAT, dims: ['m', 'n'] }];
  if (topK) {
    const [values, indices] = b.opMulti('TopK', [scores, 'k'], 2, { axis: 1, largest: 1, sorted: 1 });
    b.op('Identity', [values!]);
    b.renameLastOutput('values');
    b.op('Identity', [indices!]);
    b.renameLastOutput('indices');
    outputs.splice(0, 1, { name: 'values', elemType: ElemType.FLOAT, dims: ['m', 'k'] }, { name: 'indices', elemType: ElemType.INT64, dims: ['m', 'k'] });
  } else {
    b.op('Identity', [scores]);
    b.renameLastOutput('scores');
  }
  const inputs: TensorSpec[] = [
    { name: 'queries', elemType: ElemType.FLOAT, dims: ['m', D] },
    { name: 'rows', elemType: ElemType.FLOAT, dims: ['n', D] },
    ...(topK ? [{ name: 'k', elemType: ElemType.INT64, dims: [1] }] : []),
  ];
  return b.toBytes({ graphName: topK ? 'dedup_topk' : 'dedup_scores', inputs, outputs, opset: 13, producerName: 'engram-migrate', producerVersion: '1' });
}

/** Two small sessions, made once per thread: GEMM + TopK against held rows, plain GEMM within a batch. */
export class SimilarityKernel {
  readonly #topK: ort.InferenceSession;
  readonly #scores: ort.InferenceSession;

  private constructor(topK: ort.InferenceSession, scores: ort.InferenceSession) {
    this.#topK = topK;
    this.#scores = scores;
  }

  static async create(): Promise<SimilarityKernel> {
    // One intra-op thread: the predictor runs in a thread of its own beside the pool and the writes.
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
    const [topK, scores] = await Promise.all([ort.InferenceSession.create(model(true), options), ort.InferenceSession.create(model(false), options)]);
    return new SimilarityKernel(topK, scores);
  }

  /**
   * For each of `m` unit queries (rows of `queries`), the `k` best dot products with the first `n` rows of
   * `rows` (row-major, D wide): `values[i*k + j]` at row `indices[i*k + j]`, best first.
   */
  async best(queries: Float32Array, m: number, rows: Float32Array, n: number): Promise<{ k: number; values: Float32Array; indices: BigInt64Array }> {
    const k = Math.min(TOP_K, n);
    const out = await this.#topK.run({
      queries: new ort.Tensor('float32', queries.subarray(0, m * D), [m, D]),
      rows: new ort.Tensor('float32', rows.subarray(0, n * D), [n, D]),
      k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
    });
    return { k, values: out.values!.data as Float32Array, indices: out.indices!.data as BigInt64Array };
  }

  /** All m × m dot products of the queries with each other (row i, column j). */
  async within(queries: Float32Array, m: number): Promise<Float32Array> {
    const q = new ort.Tensor('float32', queries.subarray(0, m * D), [m, D]);
    const out = await this.#scores.run({ queries: q, rows: q });
    return out.scores!.data as Float32Array;
  }

  async release(): Promise<void> {
    await Promise.all([this.#topK.release(), this.#scores.release()]);
  }
}
