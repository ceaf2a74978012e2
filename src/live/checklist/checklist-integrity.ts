import type { ResolvedConfig } from '../../config/config-schema.js';
import { mapNode, type EmbeddingInput } from '../../mapping/node-mapper.js';
import { spaceOf } from '../../mapping/shard.js';
import { EMBEDDING_DIM, type SourceNode } from '../../mapping/types.js';
import type { Neo4jSource } from '../../source/neo4j-source.js';
import { normalizePropertyPairs, normalizeValue, propertiesExceptCypher, quoteIdentifier as q } from '../../source/neo4j-values.js';
import type { EngramClient } from '../../target/engram-client.js';
import type { ValidationLabel } from '../../validate/validation-plan.js';

/** A sampled source node with what the target should hold for it. */
export interface SampledNode {
  label: string;
  /** The label's space (what a caller of activate() names). */
  space: string;
  /** The space that holds the memory: `space`, or its shard when the label is sharded. */
  shard: string;
  id: string;
  /** The node's own embedding; null when the backfill generated one (nothing to compare against here). */
  embedding: Float32Array | null;
  content: string;
}

/** What the sample check found. */
export interface IntegrityMeasurement {
  sampled: number;
  /** Mapping rejects in the sample (not expected in the target). */
  rejectedByMapping: number;
  missing: number;
  contentChecked: number;
  contentMismatch: number;
  embeddingChecked: number;
  /** Cosine below 0.99, or the memory not among the 5 nearest of its own embedding. */
  embeddingMismatch: number;
  minCosine: number | null;
  generatedSkipped: number;
  /** The first few ids per kind of problem. */
  problems: { missing: string[]; content: string[]; embedding: string[] };
}

function embeddingInput(raw: unknown): EmbeddingInput {
  if (raw === null || raw === undefined) return { kind: 'absent' };
  if (!Array.isArray(raw)) return { kind: 'invalid', code: 'EMBEDDING_INVALID', detail: 'not a list' };
  if (raw.length !== EMBEDDING_DIM) return { kind: 'invalid', code: 'EMBEDDING_WIDTH', detail: `${raw.length} numbers` };
  return raw.every((x) => typeof x === 'number' && Number.isFinite(x))
    ? { kind: 'present' }
    : { kind: 'invalid', code: 'EMBEDDING_INVALID', detail: 'not finite numbers' };
}

/** A random sample (about `size` in all, spread over the labels by their size) mapped as the backfill maps it. */
export async function sampleSourceNodes(
  source: Neo4jSource,
  labels: ValidationLabel[],
  config: ResolvedConfig,
  size: number,
): Promise<{ nodes: SampledNode[]; rejected: number }> {
  const total = labels.reduce((a, l) => a + l.nodes, 0);
  const { embeddingProperty } = config.mapping;
  const nodes: SampledNode[] = [];
  let rejected = 0;
  for (const l of labels) {
    const n = l.nodes === 0 ? 0 : Math.max(1, Math.round((size * l.nodes) / Math.max(1, total)));
    if (n === 0) continue;
    const earlier = l.earlier.length === 0 ? '' : ` AND NOT (${l.earlier.map((e) => `n:${q(e)}`).join(' OR ')})`;
    const keyValues = `[${l.key.properties.map((p) => `n.${q(p)}`).join(', ')}]`;
    const rows = await source.query<{ props: unknown; embedding: unknown; labels: string[]; key: unknown[]; elementId: string }>(
      `MATCH (n:${q(l.label)}) WHERE true${earlier} WITH n, rand() AS r ORDER BY r LIMIT $n
       RETURN ${propertiesExceptCypher('n', embeddingProperty)} AS props, n.${q(embeddingProperty)} AS embedding, labels(n) AS labels, ${keyValues} AS key, elementId(n) AS elementId`,
      { n: BigInt(n) },
    );
    for (const row of rows) {
      const properties = normalizePropertyPairs(row.props);
      const node: SourceNode = {
        elementId: row.elementId,
        label: l.label,
        labels: row.labels,
        keyValues: row.key.map(normalizeValue),
        properties,
        embedding: undefined,
      };
      const input = embeddingInput(row.embedding);
      const mapped = mapNode(node, input, config.mapping, l.space, new Date().toISOString(), l.key);
      if (!mapped.ok || l.duplicates.has(row.elementId)) {
        rejected++;
        continue;
      }
      const embedding = input.kind === 'present' ? Float32Array.from(row.embedding as number[]) : null;
      nodes.push({ label: l.label, space: l.space, shard: spaceOf(mapped.node.id, l), id: mapped.node.id, embedding, content: mapped.node.content });
    }
  }
  return { nodes, rejected };
}

/**
 * Checks each sampled node in Engram: present by id, content as the mapping makes it, and its embedding
 * preserved (Engram returns no embedding by id, so: recall by the node's own embedding and read the
 * score Engram gives the memory with that id, which is the cosine between the two vectors).
 */
export async function checkSample(client: EngramClient, nodes: SampledNode[], rejected: number, minCosine = 0.99): Promise<IntegrityMeasurement> {
  const m: IntegrityMeasurement = {
    sampled: nodes.length + rejected,
    rejectedByMapping: rejected,
    missing: 0,
    contentChecked: 0,
    contentMismatch: 0,
    embeddingChecked: 0,
    embeddingMismatch: 0,
    minCosine: null,
    generatedSkipped: 0,
    problems: { missing: [], content: [], embedding: [] },
  };
  const problem = (kind: keyof IntegrityMeasurement['problems'], text: string): void => {
    if (m.problems[kind].length < 3) m.problems[kind].push(text);
  };
  for (const node of nodes) {
    const stored = await client.getMemory(node.shard, node.id);
    if (stored === null) {
      m.missing++;
      problem('missing', `${node.shard}/${node.id}`);
      continue;
    }
    m.contentChecked++;
    if (stored.content !== node.content) {
      m.contentMismatch++;
      problem('content', `${node.shard}/${node.id}`);
    }
    if (node.embedding === null) {
      m.generatedSkipped++;
      continue;
    }
    m.embeddingChecked++;
    const hit = (await client.recall(node.shard, node.embedding, 5)).find((h) => h.id === node.id);
    const cosine = hit?.score ?? null;
    if (cosine !== null) m.minCosine = m.minCosine === null ? cosine : Math.min(m.minCosine, cosine);
    if (cosine === null || cosine < minCosine) {
      m.embeddingMismatch++;
      problem('embedding', `${node.shard}/${node.id} ${cosine === null ? 'not among the 5 nearest of itself' : `cosine ${cosine.toFixed(4)}`}`);
    }
  }
  return m;
}
