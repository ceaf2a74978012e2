import neo4j from 'neo4j-driver';
import type { ResolvedMapping } from '../config/config-schema.js';
import { buildNodeBatch, type NodeBatchBuffers } from '../engine/node-batch.js';
import { SourceError, errorMessage } from '../errors.js';
import type { RelationshipEnd, SourceNode, SourceRelationship } from '../mapping/types.js';
import type { Neo4jSource } from '../source/neo4j-source.js';
import { normalizeProperties, normalizePropertyPairs, normalizeValue, propertiesExceptCypher, quoteIdentifier as q } from '../source/neo4j-values.js';
import type { ValidationLabel } from './validation-plan.js';

/** The source side of a chunk of sampled nodes of one label. */
export interface SourceSampleChunk {
  /** Memory id → the nodes holding it under the label (one, unless the key is not unique). */
  nodes: Map<string, SourceNode[]>;
  /** Memory id → the node's outgoing relationships as read; null when edges are not checked. */
  relationships: Map<string, SourceRelationship[]> | null;
}

async function run<T>(source: Neo4jSource, cypher: string, params: Record<string, unknown>, convert: (r: { get(i: number): unknown }) => T): Promise<T[]> {
  const session = source.session();
  const out: T[] = [];
  try {
    for await (const record of session.run(cypher, params)) out.push(convert(record));
    return out;
  } catch (cause) {
    const retriable = neo4j.isRetriableError(cause as Error);
    throw new SourceError(retriable ? 'SOURCE_UNAVAILABLE' : 'SOURCE_QUERY_FAILED', `fetching sampled nodes failed: ${errorMessage(cause)}`, {
      cause,
      details: { cypher },
    });
  } finally {
    await session.close();
  }
}

/**
 * A chunk laid out for the checks: every fetched node in the engine's batch layout (embeddings copied
 * once into shared memory, so a fetch thread hands them over without a copy), which nodes hold each
 * memory id, and the outgoing relationships per memory id.
 */
export interface PreparedChunk {
  batch: NodeBatchBuffers;
  /** For sampled node i of the request: indices of its nodes in `batch` (empty: gone from Neo4j). */
  owners: number[][];
  relationships: Array<[string, SourceRelationship[]]> | null;
}

/** Lays a fetched chunk out as a {@link PreparedChunk}. */
export function prepareChunk(keys: readonly string[], chunk: SourceSampleChunk): PreparedChunk {
  const flat: SourceNode[] = [];
  const owners = keys.map((key) => (chunk.nodes.get(key) ?? []).map((node) => flat.push(node) - 1));
  return { batch: buildNodeBatch(flat), owners, relationships: chunk.relationships ? [...chunk.relationships] : null };
}

const keyList = (v: string, properties: readonly string[]): string => `[${properties.map((p) => `${v}.${q(p)}`).join(', ')}]`;
const keyMap = (v: string, properties: readonly string[]): string =>
  properties.length === 0 ? '{}' : `${v} {${properties.map((p) => `.${q(p)}`).join(', ')}}`;

/** What a fetch needs of the plan: the label order and every key property of the run. */
export interface FetchContext {
  mapping: ResolvedMapping;
  labelOrder: readonly string[];
  keyProperties: readonly string[];
  withEdges: boolean;
}

/**
 * Fetches sampled nodes by node id (`UNWIND $ids ... WHERE id(n) = i AND n:L`, a seek per node, never a
 * scan) and, when asked, their outgoing relationships with both ends' labels and keys, so the checks can
 * map them exactly as the backfill did. `keys[i]` is the memory id sampled for `nodeIds[i]`.
 */
export async function fetchSampleChunk(
  source: Neo4jSource,
  label: ValidationLabel,
  keys: readonly string[],
  nodeIds: readonly number[],
  ctx: FetchContext,
): Promise<SourceSampleChunk> {
  const { mapping } = ctx;
  const e = q(mapping.embeddingProperty);
  const idOf = new Map(nodeIds.map((nid, i) => [nid, keys[i]!]));
  const ids = nodeIds.map((n) => neo4j.int(n));
  const match = `UNWIND $ids AS i MATCH (n) WHERE id(n) = i AND n:${q(label.label)}`;
  const nodes = new Map<string, SourceNode[]>();
  await run(
    source,
    `${match} RETURN id(n), elementId(n), labels(n), ${propertiesExceptCypher('n', mapping.embeddingProperty)}, n.${e}, ${keyList('n', label.key.properties)}`,
    { ids },
    (r) => {
      const properties = normalizePropertyPairs(r.get(3));
      const raw = r.get(4);
      const node: SourceNode = {
        elementId: r.get(1) as string,
        label: label.label,
        labels: r.get(2) as string[],
        keyValues: (r.get(5) as unknown[]).map(normalizeValue),
        properties,
        embedding: raw === null ? undefined : Array.isArray(raw) ? (raw as number[]) : normalizeValue(raw),
      };
      const key = idOf.get(Number(r.get(0)))!;
      nodes.set(key, [...(nodes.get(key) ?? []), node]);
    },
  );
  if (!ctx.withEdges) return { nodes, relationships: null };
  const end = (elementId: unknown, labels: unknown, keyValues: unknown): RelationshipEnd => ({
    elementId: elementId as string,
    label: ctx.labelOrder.find((l) => (labels as string[]).includes(l)) ?? null,
    keys: normalizeProperties(keyValues as Record<string, unknown>),
  });
  const relationships = new Map<string, SourceRelationship[]>(keys.map((k) => [k, []]));
  await run(
    source,
    `${match} MATCH (n)-[r]->(b) RETURN id(n), elementId(r), type(r), properties(r), elementId(n) AS source, labels(n), ${keyMap('n', ctx.keyProperties)} AS nKeys, elementId(b), labels(b), ${keyMap('b', ctx.keyProperties)} AS bKeys`,
    { ids },
    (r) => {
      relationships.get(idOf.get(Number(r.get(0)))!)!.push({
        elementId: r.get(1) as string,
        type: r.get(2) as string,
        properties: normalizeProperties(r.get(3) as Record<string, unknown>),
        source: end(r.get(4), r.get(5), r.get(6)),
        target: end(r.get(7), r.get(8), r.get(9)),
      });
    },
  );
  return { nodes, relationships };
}
