import neo4j, { type Session } from 'neo4j-driver';
import { quoteIdentifier as q } from '../../source/neo4j-values.js';
import type { ActivationHit } from '../graph-database.js';

/** Where the activation queries look: one label, its id/space/embedding properties, its vector index. */
export interface ActivationSchema {
  label: string;
  idProperty: string;
  embeddingProperty: string;
  /** null: the whole label is one space (the query's space is not filtered on). */
  spaceProperty: string | null;
  indexName: string;
}

/** One spreading step: neighbours over relationships receive `score × weight × decay`. */
export interface SpreadingOptions {
  /** Hops from the seeds (default 1). */
  hops?: number;
  /** Factor per hop (default 0.5). */
  decay?: number;
  /** Relationship property holding the weight (default `weight`; missing weights count 0.5, the article's default). */
  weightProperty?: string;
  /** Only these relationship types (default all). */
  types?: string[];
}

/** Neo4j's vector scores are (1 + cosine) / 2; Engram's are cosine. Compare like with like. */
export function cosineFromNeo4jScore(score: number): number {
  return 2 * score - 1;
}

function spaceFilter(schema: ActivationSchema, variable: string): string {
  return schema.spaceProperty === null ? 'true' : `${variable}.${q(schema.spaceProperty)} = $space`;
}

/**
 * Top-k by the vector index. Other spaces' nodes share the index, so `k × overfetch` candidates are read
 * and filtered; `complete` is false when the filter left fewer than k and the index had more to give.
 */
export async function indexTopK(
  session: Session,
  schema: ActivationSchema,
  embedding: number[],
  space: string,
  k: number,
  overfetch: number,
): Promise<{ hits: ActivationHit[]; complete: boolean }> {
  const n = schema.spaceProperty === null ? k : k * overfetch;
  const result = await session.run(
    `CALL db.index.vector.queryNodes($index, $n, $embedding) YIELD node, score
     RETURN node.${q(schema.idProperty)} AS id, ${schema.spaceProperty === null ? 'true' : `node.${q(schema.spaceProperty)} = $space`} AS inSpace, score`,
    { index: schema.indexName, n: neo4j.int(n), embedding, space },
  );
  const rows = result.records;
  const hits = rows
    .filter((r) => r.get('inSpace') === true)
    .slice(0, k)
    .map((r) => ({ id: String(r.get('id')), score: cosineFromNeo4jScore(r.get('score') as number) }));
  return { hits, complete: hits.length >= k || rows.length < n };
}

/** Exact top-k: cosine against every node of the space (no index; linear in the space's size). */
export async function exactTopK(session: Session, schema: ActivationSchema, embedding: number[], space: string, k: number): Promise<ActivationHit[]> {
  const e = q(schema.embeddingProperty);
  const result = await session.run(
    `MATCH (n:${q(schema.label)}) WHERE ${spaceFilter(schema, 'n')} AND n.${e} IS NOT NULL
     WITH n, vector.similarity.cosine(n.${e}, $embedding) AS score ORDER BY score DESC LIMIT $k
     RETURN n.${q(schema.idProperty)} AS id, score`,
    { embedding, space, k: neo4j.int(k) },
  );
  return result.records.map((r) => ({ id: String(r.get('id')), score: cosineFromNeo4jScore(r.get('score') as number) }));
}

/**
 * Spreading activation over weighted relationships: each hop gives every neighbour of the frontier
 * `activation × weight × decay` (summed over paths), then the best k of seeds and neighbours are kept.
 * Neo4j only: Engram's server answers 400 to spreading recall.
 */
export async function spread(
  session: Session,
  schema: ActivationSchema,
  seeds: ActivationHit[],
  space: string,
  k: number,
  options: SpreadingOptions,
): Promise<ActivationHit[]> {
  const activation = new Map(seeds.map((h) => [h.id, h.score]));
  const decay = options.decay ?? 0.5;
  const weight = q(options.weightProperty ?? 'weight');
  const types = options.types && options.types.length > 0 ? `:${options.types.map(q).join('|')}` : '';
  const id = q(schema.idProperty);
  let frontier = seeds;
  for (let hop = 0; hop < (options.hops ?? 1) && frontier.length > 0; hop++) {
    const result = await session.run(
      `UNWIND $frontier AS f MATCH (a:${q(schema.label)} {${id}: f.id})-[r${types}]-(b:${q(schema.label)}) WHERE ${spaceFilter(schema, 'b')}
       RETURN b.${id} AS id, sum(f.score * coalesce(toFloat(r.${weight}), 0.5) * $decay) AS gain`,
      { frontier: frontier.map((h) => ({ id: h.id, score: h.score })), space, decay },
    );
    const next: ActivationHit[] = [];
    for (const r of result.records) {
      const target = String(r.get('id'));
      const gain = r.get('gain') as number;
      activation.set(target, (activation.get(target) ?? 0) + gain);
      next.push({ id: target, score: gain });
    }
    frontier = next;
  }
  return [...activation]
    .map(([hitId, score]) => ({ id: hitId, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
