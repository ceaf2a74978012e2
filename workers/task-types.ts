/**
 * Messages between the main thread and the worker pool. Types only: shared by both sides, importing
 * nothing that opens a connection. Embeddings travel in SharedArrayBuffer-backed Float32Arrays.
 */
import type { ResolvedMapping } from '../src/config/config-schema.js';
import type { MemoryEncoding } from '../src/mapping/memory-encoding.js';
import type { PropertyValue, RejectRecord, SourceRelationship } from '../src/mapping/types.js';

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
}

export interface BatchNode {
  elementId: string;
  label: string;
  labels: string[];
  key: PropertyValue | undefined;
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
  mapping: ResolvedMapping;
  encoding: MemoryEncoding;
  now: string;
  /** Keys already taken by an earlier label in the same space: reject as DUPLICATE_KEY. */
  takenKeys: string[];
  /** The previous batch's last key of this label: a repeat of it is a duplicate. */
  previousKey: string | null;
  /** Map and count, but skip inference and encoding (dry run). */
  dryRun: boolean;
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
  /** Would be generated (dry run). */
  toGenerate: number;
  inferenceMs: number;
}

export interface EdgeTask {
  kind: 'edges';
  relationships: SourceRelationship[];
  mapping: ResolvedMapping;
  /** Label → space for every migrated label. */
  spaces: Record<string, string>;
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
