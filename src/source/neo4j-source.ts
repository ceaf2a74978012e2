import neo4j, { type Driver, type Session } from 'neo4j-driver';
import { boltTlsConfig } from '../config/tls-options.js';
import { SourceError } from '../errors.js';
import type { ResolvedConfig } from '../config/config-schema.js';
import type { PropertyValue, RelationshipEnd, SourceNode, SourceRelationship } from '../mapping/types.js';
import { normalizeProperties, normalizePropertyPairs, normalizeValue, propertiesExceptCypher, quoteIdentifier as q } from './neo4j-values.js';

type SourceOptions = ResolvedConfig['source'];

/** Where a label sits in the run: nodes carrying an earlier label of the run are migrated under that one. */
export interface LabelScope {
  label: string;
  /** Labels earlier in the run's order; nodes that carry one of them are skipped under this label. */
  earlier: readonly string[];
}

export interface NodePage {
  nodes: SourceNode[];
  /** The highest node id this page covered: the next page starts after it. */
  lastCovered: number;
}

export interface RelationshipPage {
  relationships: SourceRelationship[];
  /** The highest relationship id this page covered. */
  lastCovered: number;
}

/** A uniqueness or node-key constraint of the database, as `SHOW CONSTRAINTS` lists it. */
export interface NodeConstraint {
  name: string;
  type: string;
  label: string;
  properties: string[];
}

/** A node that loses its key to another node (the first by node id keeps it). */
export interface DuplicateNode {
  elementId: string;
  reason: string;
}

function earlierFilter(variable: string, earlier: readonly string[]): string {
  return earlier.length === 0 ? '' : ` AND NOT (${earlier.map((l) => `${variable}:${q(l)}`).join(' OR ')})`;
}

/** `[n.a, n.b]`: the key values of a node, in key order. */
function keyList(variable: string, properties: readonly string[]): string {
  return `[${properties.map((p) => `${variable}.${q(p)}`).join(', ')}]`;
}

/** `b {.a, .b}`: the values of every key property of the run, for a relationship's ends. */
function keyMap(variable: string, properties: readonly string[]): string {
  return properties.length === 0 ? '{}' : `${variable} {${properties.map((p) => `.${q(p)}`).join(', ')}}`;
}

/**
 * One page of a label's nodes by node-id range: a NodeByIdSeek over `range($lo, $hi)`, so its cost is the
 * span's, wherever the span lies (a label scan with `id(n) > $after` would read the label from its start
 * on every page). Parameters: lo, hi, limit.
 */
export function nodePageCypher(scope: LabelScope, key: readonly string[], embeddingProperty: string): string {
  const e = q(embeddingProperty);
  return `MATCH (n) WHERE id(n) IN range($lo, $hi) AND n:${q(scope.label)}${earlierFilter('n', scope.earlier)}
       WITH n ORDER BY id(n) LIMIT $limit
       RETURN elementId(n), labels(n), ${keyList('n', key)}, ${propertiesExceptCypher('n', embeddingProperty)}, n.${e}, id(n)`;
}

/** The same columns as {@link nodePageCypher}, for the nodes with these element ids (parameter `ids`). */
export function nodesByElementIdCypher(scope: LabelScope, key: readonly string[], embeddingProperty: string): string {
  const e = q(embeddingProperty);
  return `MATCH (n) WHERE elementId(n) IN $ids AND n:${q(scope.label)}${earlierFilter('n', scope.earlier)}
       RETURN elementId(n), labels(n), ${keyList('n', key)}, ${propertiesExceptCypher('n', embeddingProperty)}, n.${e}, id(n)`;
}

const int = (n: number): ReturnType<typeof neo4j.int> => neo4j.int(n);

/**
 * Reads a Neo4j database over Bolt: labels, counts, constraints, and pages of nodes and relationships
 * by id range (`WHERE id(n) IN range($lo, $hi)`: a NodeByIdSeek, so a page costs the same wherever it
 * is in the graph, whatever the key's type, and a label without any key pages just as well), consumed
 * with `for await` so the driver applies backpressure.
 */
export class Neo4jSource {
  readonly driver: Driver;
  readonly #options: SourceOptions;
  readonly #embeddingProperty: string;

  constructor(options: SourceOptions, mapping: { embeddingProperty: string }) {
    this.#options = options;
    this.#embeddingProperty = mapping.embeddingProperty;
    const auth = options.password ? neo4j.auth.basic(options.user, options.password) : undefined;
    this.driver = neo4j.driver(options.uri, auth, { useBigInt: true, fetchSize: options.fetchSize, disableLosslessIntegers: false, ...boltTlsConfig(options) });
  }

  /** Fails with SOURCE_UNAVAILABLE (retriable) when the server cannot be reached. */
  async connect(): Promise<void> {
    try {
      await this.driver.verifyConnectivity({ database: this.#options.database });
    } catch (cause) {
      throw new SourceError('SOURCE_UNAVAILABLE', `cannot reach Neo4j at ${this.#options.uri}: ${(cause as Error).message}`, { cause });
    }
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  session(): Session {
    return this.driver.session({ database: this.#options.database, defaultAccessMode: neo4j.session.READ, fetchSize: this.#options.fetchSize });
  }

  /** Runs a read query and returns all rows as plain objects (for small results only). */
  async query<T = Record<string, unknown>>(cypher: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const session = this.session();
    try {
      const result = await session.run(cypher, params);
      return result.records.map((r) => r.toObject() as T);
    } catch (cause) {
      throw new SourceError('SOURCE_QUERY_FAILED', `Neo4j query failed: ${(cause as Error).message}`, { cause, details: { cypher } });
    } finally {
      await session.close();
    }
  }

  async labels(): Promise<string[]> {
    const rows = await this.query<{ label: string }>('CALL db.labels() YIELD label RETURN label ORDER BY label');
    return rows.map((r) => r.label);
  }

  /** Nodes migrated under this label (those carrying an earlier label are not counted). */
  async countNodes(scope: LabelScope): Promise<number> {
    const rows = await this.query<{ c: bigint }>(`MATCH (n:${q(scope.label)}) WHERE true${earlierFilter('n', scope.earlier)} RETURN count(n) AS c`);
    return Number(rows[0]?.c ?? 0);
  }

  /** Outgoing relationships of nodes migrated under this label. */
  async countRelationships(scope: LabelScope): Promise<number> {
    const rows = await this.query<{ c: bigint }>(`MATCH (n:${q(scope.label)})-[r]->() WHERE true${earlierFilter('n', scope.earlier)} RETURN count(r) AS c`);
    return Number(rows[0]?.c ?? 0);
  }

  /** Uniqueness and node-key constraints on nodes (single label), in name order. */
  async constraints(): Promise<NodeConstraint[]> {
    const rows = await this.query<{ name: string; type: string; labelsOrTypes: string[] | null; properties: string[] | null; entityType: string }>(
      'SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties RETURN name, type, entityType, labelsOrTypes, properties ORDER BY name',
    );
    return rows
      .filter((r) => r.entityType === 'NODE' && /UNIQUENESS|NODE_KEY/.test(r.type) && r.labelsOrTypes?.length === 1 && (r.properties?.length ?? 0) > 0)
      .map((r) => ({ name: r.name, type: r.type, label: r.labelsOrTypes![0]!, properties: r.properties! }));
  }

  /** Property names found on a sample of the label's nodes, with the value types seen (Cypher's valueType). */
  async propertyTypes(scope: LabelScope, sample = 1000): Promise<Record<string, string[]>> {
    const rows = await this.query<{ k: string; types: string[] }>(
      `MATCH (n:${q(scope.label)}) WHERE true${earlierFilter('n', scope.earlier)} WITH n LIMIT $sample UNWIND keys(n) AS k
       RETURN k, collect(DISTINCT valueType(n[k])) AS types ORDER BY k`,
      { sample: int(sample) },
    );
    return Object.fromEntries(rows.map((r) => [r.k, r.types]));
  }

  /** Nodes of the label without an embedding that have the text properties, and how many distinct texts they make. */
  async distinctTexts(scope: LabelScope, embeddingProperty: string, properties: readonly string[]): Promise<{ nodes: number; distinct: number }> {
    const present = properties.map((p) => `n.${q(p)} IS NOT NULL`).join(' OR ');
    const rows = await this.query<{ c: bigint; d: bigint }>(
      `MATCH (n:${q(scope.label)}) WHERE n.${q(embeddingProperty)} IS NULL AND (${present})${earlierFilter('n', scope.earlier)}
       RETURN count(n) AS c, count(DISTINCT ${keyList('n', properties)}) AS d`,
    );
    return { nodes: Number(rows[0]?.c ?? 0), distinct: Number(rows[0]?.d ?? 0) };
  }

  /** Nodes of the label without this property. */
  async countMissing(scope: LabelScope, property: string): Promise<number> {
    const rows = await this.query<{ c: bigint }>(
      `MATCH (n:${q(scope.label)}) WHERE n.${q(property)} IS NULL${earlierFilter('n', scope.earlier)} RETURN count(n) AS c`,
    );
    return Number(rows[0]?.c ?? 0);
  }

  /** The lowest and highest node id of the label (a label scan), or null when it has no nodes. */
  async nodeIdBounds(scope: LabelScope): Promise<{ lo: number; hi: number } | null> {
    const rows = await this.query<{ lo: bigint | null; hi: bigint | null }>(
      `MATCH (n:${q(scope.label)}) WHERE true${earlierFilter('n', scope.earlier)} RETURN min(id(n)) AS lo, max(id(n)) AS hi`,
    );
    const r = rows[0];
    return r?.lo === null || r?.lo === undefined ? null : { lo: Number(r.lo), hi: Number(r.hi) };
  }

  /** The lowest and highest relationship id, or null when the graph has none. */
  async relationshipIdBounds(): Promise<{ lo: number; hi: number } | null> {
    const rows = await this.query<{ lo: bigint | null; hi: bigint | null }>('MATCH ()-[r]->() RETURN min(id(r)) AS lo, max(id(r)) AS hi');
    const r = rows[0];
    return r?.lo === null || r?.lo === undefined ? null : { lo: Number(r.lo), hi: Number(r.hi) };
  }

  /**
   * Nodes of the label that share their key with an earlier node (by node id) of the same label, or
   * with a node of an earlier label mapped to the same space: each loses the key to the first, and is
   * rejected as DUPLICATE_KEY. Returns at most `cap + 1` (the caller refuses a key that is not a key).
   */
  async duplicates(
    scope: LabelScope,
    key: readonly string[],
    sameSpace: ReadonlyArray<{ scope: LabelScope; key: readonly string[] }>,
    cap: number,
  ): Promise<DuplicateNode[]> {
    if (key.length === 0) return [];
    const present = key.map((p) => `n.${q(p)} IS NOT NULL`).join(' AND ');
    const rows = await this.query<{ key: unknown[]; ids: Array<[bigint, string]> }>(
      `MATCH (n:${q(scope.label)}) WHERE ${present}${earlierFilter('n', scope.earlier)}
       WITH ${keyList('n', key)} AS key, collect([id(n), elementId(n)]) AS ids WHERE size(ids) > 1 RETURN key, ids LIMIT $cap`,
      { cap: int(cap + 1) },
    );
    const out: DuplicateNode[] = [];
    for (const row of rows) {
      const ids = [...row.ids].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const shown = JSON.stringify(
        row.key.map((v) => normalizeValue(v)),
        (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
      );
      for (const [, elementId] of ids.slice(1)) out.push({ elementId, reason: `another ${scope.label} node (${ids[0]![1]}) has the same key ${shown}` });
    }
    for (const other of sameSpace) {
      if (other.key.length !== key.length || out.length > cap) continue;
      const join = key.map((p, i) => `a.${q(other.key[i]!)} = n.${q(p)}`).join(' AND ');
      const taken = await this.query<{ e: string; a: string }>(
        `MATCH (n:${q(scope.label)}) WHERE ${present}${earlierFilter('n', scope.earlier)}
         MATCH (a:${q(other.scope.label)}) WHERE ${join}${earlierFilter('a', other.scope.earlier)} RETURN DISTINCT elementId(n) AS e, min(elementId(a)) AS a LIMIT $cap`,
        { cap: int(cap + 1) },
      );
      for (const t of taken) out.push({ elementId: t.e, reason: `a ${other.scope.label} node (${t.a}) in the same space has the same key` });
    }
    return out;
  }

  #toSourceNode(label: string, record: { get(i: number): unknown }): SourceNode {
    const properties = normalizePropertyPairs(record.get(3));
    const rawEmbedding = record.get(4);
    return {
      elementId: record.get(0) as string,
      label,
      labels: record.get(1) as string[],
      keyValues: (record.get(2) as unknown[]).map(normalizeValue),
      properties,
      // A list stays as the driver decoded it (the batch builder checks width and type while copying).
      embedding: rawEmbedding === null ? undefined : Array.isArray(rawEmbedding) ? (rawEmbedding as number[]) : normalizeValue(rawEmbedding),
    };
  }

  /**
   * The label's nodes with ids in [lo, hi], at most `limit` of them in id order. When the limit cuts the
   * range, `lastCovered` is the last node's id; otherwise `hi`.
   */
  async nodePage(scope: LabelScope, key: readonly string[], lo: number, hi: number, limit: number): Promise<NodePage> {
    const nodes: SourceNode[] = [];
    const ids: number[] = [];
    for await (const node of this.#stream(nodePageCypher(scope, key, this.#embeddingProperty), { lo: int(lo), hi: int(hi), limit: int(limit) }, (r) => {
      ids.push(Number(r.get(5)));
      return this.#toSourceNode(scope.label, r);
    })) {
      nodes.push(node);
    }
    return { nodes, lastCovered: nodes.length === limit ? ids[ids.length - 1]! : hi };
  }

  /** The label's nodes with these element ids, as {@link nodePage} reads them (deleted ones are absent). */
  async nodesByElementId(scope: LabelScope, key: readonly string[], elementIds: readonly string[]): Promise<SourceNode[]> {
    const nodes: SourceNode[] = [];
    const cypher = nodesByElementIdCypher(scope, key, this.#embeddingProperty);
    for await (const node of this.#stream(cypher, { ids: elementIds }, (r) => this.#toSourceNode(scope.label, r))) nodes.push(node);
    return nodes;
  }

  /** Element id → the value of `property` (normalized as node properties are) of these nodes; deleted ones are absent. */
  async propertyOf(elementIds: readonly string[], property: string): Promise<Map<string, PropertyValue>> {
    const out = new Map<string, PropertyValue>();
    const cypher = 'UNWIND $ids AS id MATCH (n) WHERE elementId(n) = id RETURN id, n[$property]';
    for await (const [id, value] of this.#stream(cypher, { ids: elementIds, property }, (r) => [r.get(0) as string, normalizeValue(r.get(1))] as const))
      out.set(id, value);
    return out;
  }

  /**
   * Relationships with ids in [lo, hi] (a relationship-by-id seek, so a supernode's relationships are
   * spread over many pages and memory stays bounded whatever the degree), at most `limit` in id order,
   * with both ends' labels and the values of `keyProperties`. Only relationships whose source node
   * migrates under one of `labelOrder` are returned; the others belong to no label of this run.
   */
  async relationshipPage(lo: number, hi: number, limit: number, keyProperties: readonly string[], labelOrder: readonly string[]): Promise<RelationshipPage> {
    const relationships: SourceRelationship[] = [];
    let count = 0;
    let last = lo - 1;
    const end = (elementId: unknown, labels: unknown, keys: unknown): RelationshipEnd => ({
      elementId: elementId as string,
      label: labelOrder.find((l) => (labels as string[]).includes(l)) ?? null,
      keys: normalizeProperties(keys as Record<string, unknown>),
    });
    for await (const rel of this.#stream(
      `MATCH (a)-[r]->(b) WHERE id(r) IN range($lo, $hi)
       WITH a, r, b ORDER BY id(r) LIMIT $limit
       RETURN id(r), elementId(r), type(r), properties(r), elementId(a), labels(a), ${keyMap('a', keyProperties)} AS aKeys, elementId(b), labels(b), ${keyMap('b', keyProperties)} AS bKeys`,
      { lo: int(lo), hi: int(hi), limit: int(limit) },
      (r) => {
        count++;
        last = Number(r.get(0));
        return {
          elementId: r.get(1) as string,
          type: r.get(2) as string,
          properties: normalizeProperties(r.get(3) as Record<string, unknown>),
          source: end(r.get(4), r.get(5), r.get(6)),
          target: end(r.get(7), r.get(8), r.get(9)),
        } satisfies SourceRelationship;
      },
    )) {
      if (rel.source.label !== null) relationships.push(rel);
    }
    return { relationships, lastCovered: count === limit ? last : hi };
  }

  async *#stream<T>(cypher: string, params: Record<string, unknown>, convert: (r: { get(i: number): unknown }) => T): AsyncGenerator<T> {
    const session = this.session();
    try {
      for await (const record of session.run(cypher, params)) yield convert(record);
    } catch (cause) {
      const retriable = neo4j.isRetriableError(cause as Error);
      throw new SourceError(retriable ? 'SOURCE_UNAVAILABLE' : 'SOURCE_QUERY_FAILED', `Neo4j query failed: ${(cause as Error).message}`, {
        cause,
        details: { cypher },
      });
    } finally {
      await session.close();
    }
  }
}
