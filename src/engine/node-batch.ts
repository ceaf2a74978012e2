import type { SourceNode } from '../mapping/types.js';
import { EMBEDDING_DIM } from '../mapping/types.js';
import { EMBEDDING_ABSENT, EMBEDDING_BAD_TYPE, EMBEDDING_BAD_WIDTH, EMBEDDING_PRESENT, type BatchNode } from '../../workers/task-types.js';
import { sharedFloat32, sharedUint8 } from '../shared/shared-memory.js';

export interface NodeBatchBuffers {
  nodes: BatchNode[];
  embeddings: Float32Array;
  embeddingState: Uint8Array;
  embeddingDetail: Array<string | null>;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `a list of ${value.length} ${value.every((x) => typeof x === 'number') ? 'numbers' : 'values that are not all numbers'}`;
  return `a ${typeof value === 'object' ? 'tagged value' : typeof value}`;
}

/**
 * Lays a page of nodes out for the pool: properties as plain objects, embeddings copied once into a
 * SharedArrayBuffer (row i = node i), which workers read and fill in place, never cloned.
 */
export function buildNodeBatch(page: readonly SourceNode[]): NodeBatchBuffers {
  const embeddings = sharedFloat32(page.length * EMBEDDING_DIM);
  const embeddingState = sharedUint8(page.length);
  const embeddingDetail: Array<string | null> = new Array(page.length).fill(null);
  const nodes: BatchNode[] = new Array(page.length);
  for (let i = 0; i < page.length; i++) {
    const node = page[i]!;
    nodes[i] = { elementId: node.elementId, label: node.label, labels: node.labels, keyValues: node.keyValues, properties: node.properties };
    const value = node.embedding;
    if (value === undefined || value === null) {
      embeddingState[i] = EMBEDDING_ABSENT;
    } else if (Array.isArray(value) && value.length === EMBEDDING_DIM && typeof value[0] === 'number') {
      embeddings.set(value as number[], i * EMBEDDING_DIM);
      embeddingState[i] = EMBEDDING_PRESENT;
    } else if (Array.isArray(value) && value.every((x) => typeof x === 'number')) {
      embeddingState[i] = EMBEDDING_BAD_WIDTH;
      embeddingDetail[i] = `embedding has ${value.length} numbers; Engram takes exactly ${EMBEDDING_DIM}`;
    } else {
      embeddingState[i] = EMBEDDING_BAD_TYPE;
      embeddingDetail[i] = `embedding is ${describe(value)}, not a list of ${EMBEDDING_DIM} numbers`;
    }
  }
  return { nodes, embeddings, embeddingState, embeddingDetail };
}
