import neo4j from 'neo4j-driver';
import type { ResolvedMapping } from '../config/config-schema.js';
import { buildNodeBatch, type NodeBatchBuffers } from '../engine/node-batch.js';
import { SourceError, errorMessage } from '../errors.js';
import { mapRelationship } from '../mapping/edge-mapper.js';
import type { PropertyValue, SourceNode, SourceRelationship } from '../mapping/types.js';
import type { Neo4jSource } from '../source/neo4j-source.js';
import { normalizeProperties, normalizeValue, quoteIdentifier as q } from '../source/neo4j-values.js';
import type { ValidationLabel, ValidationPlan } from './validation-plan.js';

/** Outgoing relationships of one key: as many as Neo4j holds, and how many the mapping turns into edges. */
export interface EdgeExpectation {
  relationships: number;
  edges: number;
}

/** The source side of a chunk of sampled keys of one label. */
export interface SourceSampleChunk {
  /** Key → the nodes holding it under the label (one, unless the key is not unique). */
  nodes: Map<string, SourceNode[]>;
  /** Key → expected edges; null when edges are not checked. */
  edges: Map<string, EdgeExpectation> | null;
}

function earlierFilter(label: ValidationLabel): string {
  return label.earlier.length === 0 ? '' : ` AND NOT (${label.earlier.map((l) => `n:${q(l)}`).join(' OR ')})`;
}

async function run<T>(source: Neo4jSource, cypher: string, params: Record<string, unknown>, convert: (r: { get(i: number): unknown }) => T): Promise<T[]> {
  const session = source.session();
  const out: T[] = [];
  try {
    for await (const record of session.run(cypher, params)) out.push(convert(record));
    return out;
  } catch (cause) {
    const retriable = neo4j.isRetriableError(cause as Error);
    throw new SourceError(retriable ? 'SOURCE_UNAVAILABLE' : 'SOURCE_QUERY_FAILED', `fetching sampled nodes failed: ${errorMessage(cause)}`, { cause, details: { cypher } });
  } finally {
    await session.close();
  }
}

/**
 * A chunk laid out for the checks: every fetched node in the engine's batch layout (embeddings copied
 * once into shared memory, so a fetch thread hands them over without a copy), which nodes hold each key,
 * and the expected edges per key.
 */
export interface PreparedChunk {
  batch: NodeBatchBuffers;
  /** For key i of the request: indices of its nodes in `batch` (empty: gone from Neo4j). */
  owners: number[][];
  edges: Array<[string, EdgeExpectation]> | null;
}

/** Lays a fetched chunk out as a {@link PreparedChunk}. */
export function prepareChunk(keys: readonly string[], chunk: SourceSampleChunk): PreparedChunk {
  const flat: SourceNode[] = [];
  const owners = keys.map((key) => (chunk.nodes.get(key) ?? []).map((node) => flat.push(node) - 1));
  return { batch: buildNodeBatch(flat), owners, edges: chunk.edges ? [...chunk.edges] : null };
}

/** Same shape as the engine's source nodes, so the mapping sees exactly what the backfill saw. */
function toSourceNode(label: string, embeddingProperty: string, r: { get(i: number): unknown }): SourceNode {
  const properties = normalizeProperties(r.get(3) as Record<string, unknown>);
  delete properties[embeddingProperty];
  const raw = r.get(4);
  return {
    elementId: r.get(1) as string,
    label,
    labels: r.get(2) as string[],
    key: r.get(0) as string,
    properties,
    embedding: raw === null ? undefined : Array.isArray(raw) ? (raw as number[]) : normalizeValue(raw),
  };
}

/**
 * Fetches sampled nodes by key (`UNWIND $keys AS k MATCH (n:L) WHERE n.key = k`, an index seek per key,
 * never a scan) with the engine's label rule, and, when asked, their outgoing relationships mapped
 * through the edge mapping so the expected edge count is what the backfill would have written.
 */
export async function fetchSampleChunk(
  source: Neo4jSource,
  plan: ValidationPlan,
  label: ValidationLabel,
  keys: readonly string[],
  options: { mapping: ResolvedMapping; withEdges: boolean },
): Promise<SourceSampleChunk> {
  const { mapping } = options;
  const k = q(mapping.key);
  const e = q(mapping.embeddingProperty);
  const match = `UNWIND $keys AS k MATCH (n:${q(label.label)}) WHERE n.${k} = k${earlierFilter(label)}`;
  const rows = await run(source, `${match} RETURN k, elementId(n), labels(n), n {.*, ${e}: null}, n.${e}`, { keys }, (r) =>
    toSourceNode(label.label, mapping.embeddingProperty, r),
  );
  const nodes = new Map<string, SourceNode[]>();
  for (const node of rows) nodes.set(node.key as string, [...(nodes.get(node.key as string) ?? []), node]);
  if (!options.withEdges) return { nodes, edges: null };
  const order = plan.labels.map((l) => l.label);
  const spaces = new Map(plan.labels.map((l) => [l.label, l.space]));
  const rels = await run(source, `${match} MATCH (n)-[r]->(b) RETURN k, elementId(r), type(r), b.${k}, labels(b), properties(r)`, { keys }, (r) => {
    const targetLabels = r.get(4) as string[];
    return {
      elementId: r.get(1) as string,
      type: r.get(2) as string,
      sourceKey: r.get(0) as string,
      sourceLabel: label.label,
      targetKey: r.get(3) === null ? undefined : (normalizeValue(r.get(3)) as PropertyValue),
      targetLabel: order.find((l) => targetLabels.includes(l)) ?? null,
      properties: normalizeProperties(r.get(5) as Record<string, unknown>),
    } satisfies SourceRelationship;
  });
  const edges = new Map<string, EdgeExpectation>(keys.map((key) => [key, { relationships: 0, edges: 0 }]));
  for (const rel of rels) {
    const expectation = edges.get(rel.sourceKey as string)!;
    expectation.relationships++;
    if (mapRelationship(rel, mapping, (l) => spaces.get(l) ?? l).ok) expectation.edges++;
  }
  return { nodes, edges };
}
