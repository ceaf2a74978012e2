/**
 * Messages between the main thread and the worker pool. Types only: shared by both sides, importing
 * nothing that opens a connection. Embeddings travel in SharedArrayBuffer-backed Float32Arrays.
 */
import type { ResolvedMapping } from '../src/config/config-schema.js';
import type { MemoryEncoding } from '../src/mapping/memory-encoding.js';
import type { ShardLayout } from '../src/mapping/shard.js';
import type { LabelKey, PropertyValue, RejectRecord, SourceRelationship } from '../src/mapping/types.js';

/** Per row of a node batch: what the source found in the embedding property. */
export const EMBEDDING_ABSENT = 0;
export const EMBEDDING_PRESENT = 1;
export const EMBEDDING_BAD_WIDTH = 2;
export const EMBEDDING_BAD_TYPE = 3;

export interface WorkerModelOptions {
  path: string;
  allowRemote: boolean;
  dtype: 'fp32' | 'q8';
  maxTokens: number;
  batchSize: number;
  threads: number;
  /** Group texts by token length (local models), at most `tokensPerBatch` padded tokens per call. */
  sortByLength: boolean;
  tokensPerBatch: number;
  /** ONNX Runtime execution provider (local models). */
  device: 'cpu' | 'cuda';
  /** Set: embeddings come from this OpenAI-compatible server instead of a local model. */
  remote?: RemoteModelOptions;
}

/** An OpenAI-compatible embedding server (model.provider: openai), with the API key already read. */
export interface RemoteModelOptions {
  url: string;
  name: string;
  apiKey: string;
  sendDimensions: boolean;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface BatchNode {
  elementId: string;
  label: string;
  labels: string[];
  keyValues: PropertyValue[];
  properties: Record<string, PropertyValue>;
}

export interface NodeTask {
  kind: 'nodes';
  nodes: BatchNode[];
  /** Row i holds node i's embedding when its state is EMBEDDING_PRESENT; generated ones are written here. */
  embeddings: Float32Array;
  embeddingState: Uint8Array;
  /** For rows with a bad embedding: what was found (width or type). */
  embeddingDetail: Array<string | null>;
  space: string;
  /** Spaces the label is spread over (1 = just `space`): each memory goes to `spaceOf(id, {space, shards})`. */
  shards: number;
  /** The label's key: how each node's memory id is made. */
  key: LabelKey;
  mapping: ResolvedMapping;
  encoding: MemoryEncoding;
  now: string;
  /** Rows (of this task) whose node lost its key to another node, with why: rejected as DUPLICATE_KEY. */
  duplicates: Array<[row: number, reason: string]>;
  /** Map and count, but skip inference and encoding (dry run). */
  dryRun: boolean;
  /** Dry run only: generate missing embeddings all the same (the dedup preflight needs every vector). */
  generateInDryRun?: boolean;
}

export interface NodeTaskResult {
  ids: string[];
  spaces: string[];
  bytes: Uint8Array;
  offsets: Uint32Array;
  /** For each encoded memory, its row in the task's embedding buffer. */
  rows: Uint32Array;
  rejects: RejectRecord[];
  copied: number;
  generated: number;
  /** Of `generated` (or `toGenerate`), those replacing a stored embedding of another width. */
  regeneratedWrongWidth: number;
  /** Would be generated (dry run). */
  toGenerate: number;
  /** Mapped nodes without a timestamp property (they got the run's start time). */
  timestampsDefaulted: number;
  inferenceMs: number;
}

export interface EdgeTask {
  kind: 'edges';
  relationships: SourceRelationship[];
  mapping: ResolvedMapping;
  /** Label → space and shard count for every migrated label (an edge end's space is its shard). */
  spaces: Record<string, ShardLayout>;
  /** Label → its key, for the memory ids of both ends. */
  keys: Record<string, LabelKey>;
}

export interface EdgeTaskResult {
  bytes: Uint8Array;
  count: number;
  rejects: RejectRecord[];
}

export interface CosineTask {
  kind: 'cosine';
  a: Float32Array;
  b: Float32Array;
  dim: number;
  /** Rows [start, end) of both buffers. */
  start: number;
  end: number;
  out: Float32Array;
}

export interface EmbedTask {
  kind: 'embed';
  texts: string[];
  out: Float32Array;
  offset: number;
}

export type WorkerTask = NodeTask | EdgeTask | CosineTask | EmbedTask;
