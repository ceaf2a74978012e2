/**
 * The pool's thread entry: maps node batches to encoded memories (generating missing embeddings with
 * transformers.js), maps relationship batches to edge lines, and computes cosine similarities, all on
 * shared Float32Array buffers. Imports only mapping code, types and the embedder: no connections.
 */
import { workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Embedder } from '../src/embed/embedder.js';
import { mapRelationship } from '../src/mapping/edge-mapper.js';
import { encodeEdge, encodeMemory, packEngramRequests } from '../src/mapping/memory-encoding.js';
import { firstNonFinite, mapNode, type EmbeddingInput, type MappedNode } from '../src/mapping/node-mapper.js';
import { spaceOf } from '../src/mapping/shard.js';
import { EMBEDDING_DIM, type LabelKey, type RejectRecord, type SourceNode } from '../src/mapping/types.js';
import { cosineRows } from '../src/shared/cosine.js';
import { packRecords } from '../src/shared/record-buffers.js';
import { own } from '../src/shared/own.js';
import {
  EMBEDDING_ABSENT,
  EMBEDDING_BAD_WIDTH,
  EMBEDDING_PRESENT,
  type CosineTask,
  type EdgeTask,
  type EdgeTaskResult,
  type EmbedTask,
  type NodeTask,
  type NodeTaskResult,
  type RemoteModelOptions,
  type WorkerModelOptions,
  type WorkerTask,
} from './task-types.js';

/** A label the task does not name (never, for a relationship of the run): identify its nodes by element id. */
const ELEMENT_ID_KEY: LabelKey = { properties: [], source: 'element-id', unique: true, reason: 'not in the run' };

const model = (workerData as { model?: WorkerModelOptions } | undefined)?.model;
let embedder: Promise<Embedder> | null = null;

/**
 * The embedder, made on first use: transformers.js (or undici, for a remote model) is imported only then, so
 * a backfill whose embeddings are all copied never loads it (~0.25 s of CPU per worker at start-up).
 */
function getEmbedder(): Promise<Embedder> {
  if (!model) throw new Error('worker pool started without a model; cannot generate embeddings');
  embedder ??= model.remote ? remoteEmbedder(model, model.remote) : localEmbedder(model);
  return embedder;
}

async function localEmbedder(m: WorkerModelOptions): Promise<Embedder> {
  const { createEmbedder } = await import('../src/embed/embedder.js');
  return createEmbedder({
    model: m.path,
    allowRemote: m.allowRemote,
    dtype: m.dtype,
    threads: m.threads,
    maxTokens: m.maxTokens,
    device: m.device,
    ...(m.sortByLength ? { lengthBatching: { batchSize: m.batchSize, tokenBudget: m.tokensPerBatch } } : {}),
  });
}

/** The inference server's client: the only connection a worker opens, and only with model.provider openai. */
async function remoteEmbedder(m: WorkerModelOptions, r: RemoteModelOptions): Promise<Embedder> {
  const { createOpenAiEmbedder } = await import('../src/embed/openai-embedder.js');
  return createOpenAiEmbedder({
    baseUrl: r.url,
    model: r.name,
    apiKey: r.apiKey,
    dim: EMBEDDING_DIM,
    sendDimensions: r.sendDimensions,
    batchSize: m.batchSize,
    concurrency: r.concurrency,
    timeoutMs: r.timeoutMs,
    maxRetries: r.maxRetries,
    retryBaseMs: r.retryBaseMs,
    retryMaxMs: r.retryMaxMs,
  });
}

function embeddingInput(task: NodeTask, row: number): EmbeddingInput {
  const state = task.embeddingState[row]!;
  if (state === EMBEDDING_ABSENT) return { kind: 'absent' };
  if (state !== EMBEDDING_PRESENT) {
    const code = state === EMBEDDING_BAD_WIDTH ? 'EMBEDDING_WIDTH' : 'EMBEDDING_INVALID';
    return { kind: 'invalid', code, detail: task.embeddingDetail[row] ?? 'embedding is not a list of numbers' };
  }
  const vector = task.embeddings.subarray(row * EMBEDDING_DIM, (row + 1) * EMBEDDING_DIM);
  const bad = firstNonFinite(vector);
  return bad === -1
    ? { kind: 'present' }
    : { kind: 'invalid', code: 'EMBEDDING_INVALID', detail: `embedding[${bad}] is ${vector[bad]} (must be a finite float32)` };
}

async function generate(task: NodeTask, pending: Array<{ row: number; text: string }>): Promise<number> {
  if (pending.length === 0) return 0;
  const started = performance.now();
  const e = await getEmbedder();
  // A remote embedder sends one chunk as `concurrency` requests of batchSize at once; a local one that
  // sorts by length takes the whole slice, so it can group similar lengths across it.
  const chunk = model!.remote ? model!.batchSize * model!.remote.concurrency : model!.sortByLength ? pending.length : model!.batchSize;
  const scratch = new Float32Array(chunk * EMBEDDING_DIM);
  for (let i = 0; i < pending.length; i += chunk) {
    const part = pending.slice(i, i + chunk);
    await e.embed(
      part.map((p) => p.text),
      scratch,
      0,
    );
    part.forEach((p, j) => task.embeddings.set(scratch.subarray(j * EMBEDDING_DIM, (j + 1) * EMBEDDING_DIM), p.row * EMBEDDING_DIM));
  }
  return performance.now() - started;
}

async function runNodes(task: NodeTask): Promise<NodeTaskResult> {
  const rejects: RejectRecord[] = [];
  const mapped: Array<{ row: number; node: MappedNode }> = [];
  const duplicates = new Map(task.duplicates);
  let timestampsDefaulted = 0;
  task.nodes.forEach((batchNode, row) => {
    const node: SourceNode = { ...batchNode, embedding: undefined };
    const result = mapNode(node, embeddingInput(task, row), task.mapping, task.space, task.now, task.key);
    if (!result.ok) return void rejects.push(result.reject);
    const duplicate = duplicates.get(row);
    if (duplicate !== undefined) {
      return void rejects.push({
        kind: 'node',
        id: result.node.id,
        label: node.label,
        elementId: node.elementId,
        field: task.key.properties.join(', ') || null,
        code: 'DUPLICATE_KEY',
        reason: duplicate,
      });
    }
    if (result.node.timestampDefaulted) timestampsDefaulted++;
    mapped.push({ row, node: task.shards > 1 ? { ...result.node, space: spaceOf(result.node.id, task) } : result.node });
  });
  // Shards interleave within a batch: grouping them keeps the bundle's appends one per space (stable sort).
  // Engram's requests keep the page's order, shards interleaved, so concurrent writes spread over them.
  if (task.shards > 1 && task.encoding === 'bundle-ndjson') mapped.sort((a, b) => (a.node.space < b.node.space ? -1 : a.node.space > b.node.space ? 1 : 0));
  const pending = mapped.filter((m) => m.node.generateFrom !== null).map((m) => ({ row: m.row, text: m.node.generateFrom! }));
  const regeneratedWrongWidth = mapped.reduce((n, m) => n + (m.node.wrongWidthRegenerated ? 1 : 0), 0);
  const empty = { bytes: new Uint8Array(0), offsets: new Uint32Array(1) };
  if (task.dryRun) {
    const inferenceMs = task.generateInDryRun ? await generate(task, pending) : 0;
    return {
      ids: mapped.map((m) => m.node.id),
      spaces: mapped.map((m) => m.node.space),
      ...empty,
      rows: Uint32Array.from(mapped, (m) => m.row),
      rejects,
      copied: mapped.length - pending.length,
      generated: 0,
      toGenerate: pending.length,
      regeneratedWrongWidth,
      timestampsDefaulted,
      inferenceMs,
    };
  }
  const inferenceMs = await generate(task, pending);
  const embeddingOf = (row: number): Float32Array => task.embeddings.subarray(row * EMBEDDING_DIM, (row + 1) * EMBEDDING_DIM);
  // One record at a time, written into place: a joined batch could pass V8's string length limit.
  const { bytes, offsets } =
    task.encoding === 'engram-json'
      ? packEngramRequests(mapped.length, (i) => ({ node: mapped[i]!.node, embedding: embeddingOf(mapped[i]!.row), strength: task.mapping.strength }))
      : packRecords(mapped.length, (i) => `${encodeMemory(mapped[i]!.node, embeddingOf(mapped[i]!.row), task.encoding, task.mapping.strength)}\n`);
  const result: NodeTaskResult = {
    ids: mapped.map((m) => m.node.id),
    spaces: mapped.map((m) => m.node.space),
    bytes,
    offsets,
    rows: Uint32Array.from(mapped, (m) => m.row),
    rejects,
    copied: mapped.length - pending.length,
    generated: pending.length,
    regeneratedWrongWidth,
    toGenerate: 0,
    timestampsDefaulted,
    inferenceMs,
  };
  return move(result, [result.bytes.buffer as ArrayBuffer, result.offsets.buffer as ArrayBuffer, result.rows.buffer as ArrayBuffer]);
}

/** Hands a result's buffers to the main thread without copying them (piscina's transferable protocol). */
class Movable<T> {
  constructor(
    readonly value: T,
    readonly buffers: ArrayBuffer[],
  ) {}
  get [Piscina.transferableSymbol](): ArrayBuffer[] {
    return this.buffers;
  }
  get [Piscina.valueSymbol](): T {
    return this.value;
  }
}

function move<T>(value: T, buffers: ArrayBuffer[]): T {
  return Piscina.move(new Movable(value, buffers) as never) as unknown as T;
}

function runEdges(task: EdgeTask): EdgeTaskResult {
  const rejects: RejectRecord[] = [];
  const lines: string[] = [];
  const spaceOfEnd = (label: string, id: string): string => {
    const layout = own(task.spaces, label);
    return layout ? spaceOf(id, layout) : label;
  };
  const keyOf = (label: string): LabelKey => own(task.keys, label) ?? ELEMENT_ID_KEY;
  for (const rel of task.relationships) {
    const result = mapRelationship(rel, task.mapping, spaceOfEnd, keyOf);
    if (result.ok) lines.push(encodeEdge(result.edge) + '\n');
    else rejects.push(result.reject);
  }
  const bytes = new Uint8Array(Buffer.from(lines.join('')));
  return move({ bytes, count: lines.length, rejects }, [bytes.buffer as ArrayBuffer]);
}

function runCosine(task: CosineTask): number {
  cosineRows(task.a, task.b, task.dim, task.start, task.end, task.out);
  return task.end - task.start;
}

async function runEmbed(task: EmbedTask): Promise<number> {
  const e = await getEmbedder();
  await e.embed(task.texts, task.out, task.offset);
  return task.texts.length;
}

export default async function run(task: WorkerTask): Promise<unknown> {
  switch (task.kind) {
    case 'nodes':
      return runNodes(task);
    case 'edges':
      return runEdges(task);
    case 'cosine':
      return runCosine(task);
    case 'embed':
      return runEmbed(task);
  }
}
