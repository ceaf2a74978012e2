import neo4j, { type Driver, type Session } from 'neo4j-driver';
import { SourceError } from '../errors.js';
import type { ResolvedConfig } from '../config/config-schema.js';
import type { PropertyValue, SourceNode, SourceRelationship } from '../mapping/types.js';
import { normalizeProperties, normalizeValue, quoteIdentifier as q } from './neo4j-values.js';

type SourceOptions = ResolvedConfig['source'];

/** Where a label sits in the run: nodes carrying an earlier label of the run are migrated under that one. */
export interface LabelScope {
  label: string;
  /** Labels earlier in the run's order; nodes that carry one of them are skipped under this label. */
  earlier: readonly string[];
}

export interface NodePage {
  nodes: SourceNode[];
  /** Key of the page's last node: the next page starts after it. */
  lastKey: string;
}

export interface RelationshipPage {
  relationships: SourceRelationship[];
  lastKey: string;
}

function earlierFilter(variable: string, earlier: readonly string[]): string {
  return earlier.length === 0 ? '' : ` AND NOT (${earlier.map((l) => `${variable}:${q(l)}`).join(' OR ')})`;
}

/**
 * Reads a Neo4j database over Bolt: labels, counts, and keyset-paged streams over the indexed key
 * (`WHERE n.key > $after ORDER BY n.key LIMIT $n`, never SKIP), consumed with `for await` so the
 * driver applies backpressure. Only string keys are paged; other nodes are found by {@link badKeyNodes}.
 */
export class Neo4jSource {
  readonly driver: Driver;
  readonly #options: SourceOptions;
  readonly #key: string;
  readonly #embeddingProperty: string;

  constructor(options: SourceOptions, mapping: { key: string; embeddingProperty: string }) {
    this.#options = options;
    this.#key = mapping.key;
    this.#embeddingProperty = mapping.embeddingProperty;
    const auth = options.password ? neo4j.auth.basic(options.user, options.password) : undefined;
    this.driver = neo4j.driver(options.uri, auth, { useBigInt: true, fetchSize: options.fetchSize, disableLosslessIntegers: false });
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
    const rows = await this.query<{ c: bigint }>(
      `MATCH (n:${q(scope.label)})-[r]->() WHERE true${earlierFilter('n', scope.earlier)} RETURN count(r) AS c`,
    );
    return Number(rows[0]?.c ?? 0);
  }

  /** True when a uniqueness or node-key constraint guards the key property of this label. */
  async hasUniqueKey(label: string): Promise<boolean> {
    const rows = await this.query<{ labelsOrTypes: string[]; properties: string[] }>(
      "SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties WHERE type IN ['UNIQUENESS', 'NODE_KEY'] RETURN labelsOrTypes, properties",
    );
    return rows.some((r) => r.labelsOrTypes?.length === 1 && r.labelsOrTypes[0] === label && r.properties?.length === 1 && r.properties[0] === this.#key);
  }

  /** Keys present under both labels: the node under `later` would collide with the one under `first` in a shared space. */
  async sharedKeys(first: LabelScope, later: LabelScope): Promise<string[]> {
    const k = q(this.#key);
    const rows = await this.query<{ key: string }>(
      `MATCH (a:${q(first.label)}) WHERE a.${k} IS :: STRING${earlierFilter('a', first.earlier)}
       MATCH (b:${q(later.label)}) WHERE b.${k} = a.${k}${earlierFilter('b', later.earlier)} RETURN DISTINCT a.${k} AS key`,
    );
    return rows.map((r) => r.key);
  }

  #toSourceNode(label: string, record: { get(i: number): unknown }): SourceNode {
    const properties = normalizeProperties(record.get(3) as Record<string, unknown>);
    delete properties[this.#embeddingProperty];
    const rawEmbedding = record.get(4);
    return {
      elementId: record.get(0) as string,
      label,
      labels: record.get(1) as string[],
      key: record.get(2) === null ? undefined : normalizeValue(record.get(2)),
      properties,
      // A list stays as the driver decoded it (the batch builder checks width and type while copying).
      embedding: rawEmbedding === null ? undefined : Array.isArray(rawEmbedding) ? (rawEmbedding as number[]) : normalizeValue(rawEmbedding),
    };
  }

  #returnNode(): string {
    const e = q(this.#embeddingProperty);
    return `RETURN elementId(n), labels(n), n.${q(this.#key)}, n {.*, ${e}: null}, n.${e}`;
  }

  /**
   * Keys that cut a label's key order into `parts` ranges of about equal size (index-ordered SKIP: the
   * index is walked, no node is decoded). Returns up to parts - 1 ascending keys.
   */
  async splitKeys(scope: LabelScope, count: number, parts: number): Promise<string[]> {
    const k = q(this.#key);
    const keys: string[] = [];
    for (let i = 1; i < parts; i++) {
      const rows = await this.query<{ key: string }>(
        `MATCH (n:${q(scope.label)}) WHERE n.${k} IS :: STRING AND n.${k} > ''${earlierFilter('n', scope.earlier)} WITH n.${k} AS key ORDER BY key SKIP $skip LIMIT 1 RETURN key`,
        { skip: neo4j.int(Math.floor((count * i) / parts)) },
      );
      const key = rows[0]?.key;
      if (key !== undefined && (keys.length === 0 || key > keys[keys.length - 1]!)) keys.push(key);
    }
    return keys;
  }

  /** Nodes whose key is missing, empty or not a string: the pages never see them, so they are rejected from here. */
  async *badKeyNodes(scope: LabelScope): AsyncGenerator<SourceNode> {
    const k = q(this.#key);
    yield* this.#stream(
      `MATCH (n:${q(scope.label)}) WHERE (n.${k} IS NULL OR NOT n.${k} IS :: STRING OR n.${k} = '')${earlierFilter('n', scope.earlier)} ${this.#returnNode()}`,
      {},
      (r) => this.#toSourceNode(scope.label, r),
    );
  }

  /**
   * One keyset page of nodes after `after` (and at most `upper`, for one reader's key range). Without a uniqueness constraint, nodes sharing the page's last
   * key are all fetched, so a duplicate key never straddles two pages and none is skipped.
   */
  async nodePage(scope: LabelScope, after: string, limit: number, uniqueKey: boolean, upper: string | null = null): Promise<NodePage | null> {
    const k = q(this.#key);
    const match = `MATCH (n:${q(scope.label)}) WHERE n.${k} IS :: STRING`;
    const bound = upper === null ? '' : ` AND n.${k} <= $upper`;
    const nodes: SourceNode[] = [];
    for await (const node of this.#stream(
      `${match} AND n.${k} > $after${bound}${earlierFilter('n', scope.earlier)} ${this.#returnNode()} ORDER BY n.${k} LIMIT $limit`,
      { after, upper, limit: neo4j.int(limit) },
      (r) => this.#toSourceNode(scope.label, r),
    )) {
      nodes.push(node);
    }
    if (nodes.length === 0) return null;
    const lastKey = nodes[nodes.length - 1]!.key as string;
    if (!uniqueKey && nodes.length === limit) {
      while (nodes.length > 0 && nodes[nodes.length - 1]!.key === lastKey) nodes.pop();
      for await (const node of this.#stream(
        `${match} AND n.${k} = $key${earlierFilter('n', scope.earlier)} ${this.#returnNode()} ORDER BY elementId(n)`,
        { key: lastKey },
        (r) => this.#toSourceNode(scope.label, r),
      )) {
        nodes.push(node);
      }
    }
    return { nodes, lastKey };
  }

  /**
   * Outgoing relationships of one keyset page of source nodes. `labelOrder` decides which migrated label the
   * target node counts under (null when it carries none of them).
   */
  async relationshipPage(scope: LabelScope, after: string, limit: number, labelOrder: readonly string[]): Promise<RelationshipPage | null> {
    const k = q(this.#key);
    const keys = await this.query<{ first: string; last: string; n: bigint }>(
      `MATCH (n:${q(scope.label)}) WHERE n.${k} IS :: STRING AND n.${k} > $after${earlierFilter('n', scope.earlier)}
       WITH n.${k} AS key ORDER BY key LIMIT $limit RETURN min(key) AS first, max(key) AS last, count(key) AS n`,
      { after, limit: neo4j.int(limit) },
    );
    const page = keys[0];
    if (!page || Number(page.n) === 0) return null;
    const relationships: SourceRelationship[] = [];
    for await (const rel of this.#stream(
      `MATCH (n:${q(scope.label)})-[r]->(b) WHERE n.${k} >= $first AND n.${k} <= $last AND n.${k} IS :: STRING${earlierFilter('n', scope.earlier)}
       RETURN elementId(r), type(r), n.${k}, b.${k}, labels(b), properties(r)`,
      { first: page.first, last: page.last },
      (r) => {
        const labels = r.get(4) as string[];
        return {
          elementId: r.get(0) as string,
          type: r.get(1) as string,
          sourceKey: normalizeValue(r.get(2)) as PropertyValue,
          sourceLabel: scope.label,
          targetKey: r.get(3) === null ? undefined : normalizeValue(r.get(3)),
          targetLabel: labelOrder.find((l) => labels.includes(l)) ?? null,
          properties: normalizeProperties(r.get(5) as Record<string, unknown>),
        } satisfies SourceRelationship;
      },
    )) {
      relationships.push(rel);
    }
    return { relationships, lastKey: page.last };
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
