import neo4j, { type Driver, type Session } from 'neo4j-driver';
import { SourceError, errorMessage } from '../../errors.js';
import { EMBEDDING_DIM } from '../../mapping/types.js';
import { quoteIdentifier as q } from '../../source/neo4j-values.js';
import {
  embeddingText,
  type ActivationQuery,
  type ActivationResult,
  type EdgeWriteResult,
  type GraphDatabase,
  type LiveEdge,
  type LiveMemory,
  type StoredLiveMemory,
} from '../graph-database.js';
import { GroupCommitBatcher } from './group-commit-batcher.js';
import { exactTopK, indexTopK, spread, type ActivationSchema, type SpreadingOptions } from './neo4j-activation.js';

export interface Neo4jGraphDatabaseOptions {
  driver: Driver;
  database?: string;
  /** Label of the memory nodes (default `Memory`). */
  label?: string;
  idProperty?: string;
  embeddingProperty?: string;
  /** Property holding the memory space; null when the label is one space (default `space`). */
  spaceProperty?: string | null;
  /** Vector index name (default `<label>_embedding`). */
  indexName?: string;
  /** `index`: the vector index (approximate, fast); `exact`: cosine over every node of the space. Default `index`. */
  activation?: 'index' | 'exact';
  /** Candidates read per wanted hit when other spaces share the index (default 4). */
  overfetch?: number;
  /** A spreading step after the top-k (default none: similarity only, comparable with Engram). */
  spreading?: SpreadingOptions | null;
  /**
   * How embeddings travel to Neo4j on writes. `text` (default): comma-joined decimals, turned into the
   * float list by Cypher (`[x IN split(...) | toFloat(x)]`); `list`: a list parameter. The driver packs a
   * list element by element through its type transformers, which cost about 0.6 ms of Node CPU per
   * 768-float row (measured: 1,200 rows/s took 72% of a core); as text the same rows took 34%. A
   * `Float32Array` is printed with nine significant digits (`joinFloat32`): each stored double rounds back
   * to exactly the float32 written (`Math.fround`), and Neo4j parsed it in 180 µs per row instead of 310
   * µs for the 17-digit text of the widened doubles. A `number[]` is printed as `join(',')` does: the
   * stored doubles are the ones given.
   */
  embeddingEncoding?: 'text' | 'list';
  /** Memories per write transaction at most (default 250) and transactions in flight (default 2). */
  maxBatch?: number;
  maxWriteTransactions?: number;
  name?: string;
  /**
   * Property holding when the live dual writer wrote the node's current version (ms since the epoch,
   * `LiveMemory.writtenAt`; default `_live_written_at`; null: not stored). Set in the same write as the
   * data, so it always dates the version it sits on; the backfill compares it with the time it read the
   * node (see the README: race-safe backfill).
   */
  writtenAtProperty?: string | null;
  /** Label of the tombstones `deleteMemory` leaves (default `<label>Tombstone`): Engram cannot delete. */
  tombstoneLabel?: string;
}

/** A memory deleted in Neo4j that Engram still holds (it cannot delete). */
export interface Tombstone {
  space: string;
  id: string;
  /** RFC 3339. */
  deletedAt: string;
}

interface MemoryRow {
  id: string;
  space: string;
  content: string;
  embedding: number[] | string;
  timestamp: string;
  memoryType: string;
  strength: number;
  writtenAt: number | null;
}

/** A count from the driver (Integer, bigint or number) as a number; 0 when absent. */
export function toNumber(value: unknown): number {
  if (value === undefined || value === null) return 0;
  return neo4j.isInt(value) ? neo4j.integer.toNumber(value as never) : Number(value);
}

/** Wraps a driver error: connection loss and transient errors are retriable (SOURCE_UNAVAILABLE). */
export function neo4jError(what: string, cause: unknown): SourceError {
  const retriable = cause instanceof Error && neo4j.isRetriableError(cause);
  return new SourceError(retriable ? 'SOURCE_UNAVAILABLE' : 'SOURCE_QUERY_FAILED', `Neo4j ${what} failed: ${errorMessage(cause)}`, { cause });
}

/**
 * The Neo4j adapter. Memories are nodes `(:<label> {id, space, content, embedding, timestamp, memory_type,
 * strength})` written with MERGE by id (idempotent); concurrent writes are group-committed (UNWIND) so the
 * adapter sustains thousands of writes per second over few transactions. Edges are relationships of their
 * own type with a `weight`. `activate` is top-k cosine through a Neo4j vector index (or exact), optionally
 * followed by spreading over weighted relationships.
 */
export class Neo4jGraphDatabase implements GraphDatabase {
  readonly name: string;
  readonly capabilities = { edges: true, spreading: true } as const;
  readonly schema: ActivationSchema;
  readonly #driver: Driver;
  readonly #database: string;
  readonly #options: Neo4jGraphDatabaseOptions;
  readonly #writer: GroupCommitBatcher<MemoryRow>;
  readonly #writtenAt: string | null;
  readonly #tombstone: string;

  constructor(options: Neo4jGraphDatabaseOptions) {
    this.#options = options;
    this.#driver = options.driver;
    this.#database = options.database ?? 'neo4j';
    this.name = options.name ?? 'neo4j';
    const label = options.label ?? 'Memory';
    this.schema = {
      label,
      idProperty: options.idProperty ?? 'id',
      embeddingProperty: options.embeddingProperty ?? 'embedding',
      spaceProperty: options.spaceProperty === undefined ? 'space' : options.spaceProperty,
      indexName: options.indexName ?? `${label}_embedding`,
    };
    this.#writtenAt = options.writtenAtProperty === undefined ? '_live_written_at' : options.writtenAtProperty;
    this.#tombstone = options.tombstoneLabel ?? `${label}Tombstone`;
    this.#writer = new GroupCommitBatcher({
      flush: (rows) => this.#writeRows(rows),
      maxBatch: options.maxBatch ?? 250,
      maxInFlight: options.maxWriteTransactions ?? 2,
    });
  }

  #session(write: boolean): Session {
    return this.#driver.session({ database: this.#database, defaultAccessMode: write ? neo4j.session.WRITE : neo4j.session.READ });
  }

  async #run<T>(what: string, write: boolean, work: (session: Session) => Promise<T>): Promise<T> {
    const session = this.#session(write);
    try {
      return await work(session);
    } catch (cause) {
      throw cause instanceof SourceError ? cause : neo4jError(what, cause);
    } finally {
      await session.close();
    }
  }

  /** Creates the uniqueness constraint on the id and, unless `vectorIndex` is false, the 768-d cosine vector index. */
  async ensureSchema(options: { vectorIndex?: boolean; timeoutSeconds?: number } = {}): Promise<void> {
    const { label, idProperty, embeddingProperty, indexName } = this.schema;
    await this.#run('schema setup', true, async (session) => {
      await session.run(`CREATE CONSTRAINT ${q(`${label}_${idProperty}_unique`)} IF NOT EXISTS FOR (n:${q(label)}) REQUIRE n.${q(idProperty)} IS UNIQUE`);
      await session.run(`CREATE INDEX ${q(`${this.#tombstone}_id`)} IF NOT EXISTS FOR (t:${q(this.#tombstone)}) ON (t.id, t.space)`);
      if (options.vectorIndex !== false) {
        await session.run(
          `CREATE VECTOR INDEX ${q(indexName)} IF NOT EXISTS FOR (n:${q(label)}) ON n.${q(embeddingProperty)}
           OPTIONS {indexConfig: {\`vector.dimensions\`: ${EMBEDDING_DIM}, \`vector.similarity_function\`: 'cosine'}}`,
        );
      }
      await session.run(`CALL db.awaitIndexes(${options.timeoutSeconds ?? 300})`);
    });
  }

  async #writeRows(rows: MemoryRow[]): Promise<void> {
    const s = this.schema;
    const space = s.spaceProperty === null ? '' : `n.${q(s.spaceProperty)} = r.space, `;
    const cypher = `UNWIND $rows AS r MERGE (n:${q(s.label)} {${q(s.idProperty)}: r.id})
      SET ${space}n.content = r.content, n.${q(s.embeddingProperty)} = ${this.#options.embeddingEncoding === 'list' ? 'r.embedding' : "[x IN split(r.embedding, ',') | toFloat(x)]"}, n.timestamp = r.timestamp, n.memory_type = r.memoryType, n.strength = r.strength${this.#writtenAt === null ? '' : `, n.${q(this.#writtenAt)} = r.writtenAt`}
      WITH r OPTIONAL MATCH (t:${q(this.#tombstone)} {id: r.id, space: r.space}) DELETE t`; // written again: no longer deleted
    await this.#run('memory write', true, (session) => session.executeWrite((tx) => tx.run(cypher, { rows })));
  }

  async createMemory(memory: LiveMemory): Promise<void> {
    await this.#writer.submit({
      id: memory.id,
      space: memory.space,
      content: memory.content,
      embedding: this.#options.embeddingEncoding === 'list' ? Array.from(memory.embedding) : embeddingText(memory),
      timestamp: memory.timestamp ?? new Date().toISOString(),
      memoryType: memory.memoryType ?? 'memory',
      strength: memory.strength ?? 1,
      writtenAt: memory.writtenAt ?? null,
    });
  }

  /**
   * Deletes the memory and its relationships, and leaves a tombstone `(:<tombstoneLabel> {space, id,
   * deleted_at})` in the same transaction: Engram cannot delete, so validation and the checklist need
   * to know which of Engram's memories Neo4j no longer has. Deleting an absent id still records it.
   */
  async deleteMemory(space: string, id: string): Promise<void> {
    const s = this.schema;
    const where = s.spaceProperty === null ? '' : ` WHERE n.${q(s.spaceProperty)} = $space`;
    const cypher = `OPTIONAL MATCH (n:${q(s.label)} {${q(s.idProperty)}: $id})${where} DETACH DELETE n
      WITH 1 AS one MERGE (t:${q(this.#tombstone)} {id: $id, space: $space}) SET t.deleted_at = $at`;
    await this.#run('memory delete', true, (session) => session.executeWrite((tx) => tx.run(cypher, { id, space, at: new Date().toISOString() })));
  }

  /** The tombstones of deleted memories (of `space`, when given), oldest first. */
  async listTombstones(space?: string): Promise<Tombstone[]> {
    const where = space === undefined ? '' : ' WHERE t.space = $space';
    const rows = await this.#run(
      'tombstone read',
      false,
      async (session) =>
        (await session.run(`MATCH (t:${q(this.#tombstone)})${where} RETURN t.space AS space, t.id AS id, t.deleted_at AS at ORDER BY t.deleted_at`, { space }))
          .records,
    );
    return rows.map((r) => ({ space: String(r.get('space')), id: String(r.get('id')), deletedAt: String(r.get('at')) }));
  }

  /**
   * MERGEs `(source)-[:<type> {weight}]->(target)`. A missing endpoint is retriable: in a dual write the
   * endpoint's own write may still be waiting in the dead-letter queue.
   */
  async createEdge(edge: LiveEdge): Promise<EdgeWriteResult> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(edge.type))
      throw new SourceError('SOURCE_QUERY_FAILED', `edge type ${JSON.stringify(edge.type)} is not a plain relationship type`);
    const { label, idProperty } = this.schema;
    const cypher = `MATCH (a:${q(label)} {${q(idProperty)}: $source}) MATCH (b:${q(label)} {${q(idProperty)}: $target})
      MERGE (a)-[r:${q(edge.type)}]->(b) SET r.weight = $weight RETURN count(r) AS c`;
    const stored = await this.#run('edge write', true, (session) =>
      session.executeWrite(
        async (tx) => toNumber((await tx.run(cypher, { source: edge.source, target: edge.target, weight: edge.weight })).records[0]?.get('c')) > 0,
      ),
    );
    if (!stored) {
      throw new SourceError('SOURCE_QUERY_FAILED', `edge ${edge.source}-[${edge.type}]->${edge.target}: an endpoint is not in Neo4j (yet)`, {
        retriable: true,
      });
    }
    return { stored: true };
  }

  async getMemory(space: string, id: string): Promise<StoredLiveMemory | null> {
    const s = this.schema;
    const where = s.spaceProperty === null ? '' : ` WHERE n.${q(s.spaceProperty)} = $space`;
    const spaceExpr = s.spaceProperty === null ? '$space' : `n.${q(s.spaceProperty)}`;
    const rows = await this.#run(
      'memory read',
      false,
      async (session) =>
        (
          await session.run(
            `MATCH (n:${q(s.label)} {${q(s.idProperty)}: $id})${where} RETURN ${spaceExpr} AS space, n.content AS content, n.timestamp AS timestamp, n.${q(s.embeddingProperty)} AS embedding LIMIT 1`,
            { id, space },
          )
        ).records,
    );
    const row = rows[0];
    if (row === undefined) return null;
    const embedding = row.get('embedding') as number[] | null;
    return {
      id,
      space: String(row.get('space')),
      content: String(row.get('content') ?? ''),
      timestamp: row.get('timestamp') === null ? null : String(row.get('timestamp')),
      embedding: Array.isArray(embedding) ? Float32Array.from(embedding) : null,
    };
  }

  /** The stored versions of `ids` in one query (in-doubt writes are settled by comparing versions). */
  async getMemories(space: string, ids: string[]): Promise<Map<string, StoredLiveMemory>> {
    const s = this.schema;
    const where = s.spaceProperty === null ? '' : ` WHERE n.${q(s.spaceProperty)} = $space`;
    const rows = await this.#run(
      'memory read',
      false,
      async (session) =>
        (
          await session.run(
            `UNWIND $ids AS id MATCH (n:${q(s.label)} {${q(s.idProperty)}: id})${where} RETURN id, n.content AS content, n.timestamp AS timestamp, n.${q(s.embeddingProperty)} AS embedding`,
            { ids, space },
          )
        ).records,
    );
    const out = new Map<string, StoredLiveMemory>();
    for (const row of rows) {
      const embedding = row.get('embedding') as number[] | null;
      const id = String(row.get('id'));
      out.set(id, {
        id,
        space,
        content: String(row.get('content') ?? ''),
        timestamp: row.get('timestamp') === null ? null : String(row.get('timestamp')),
        embedding: Array.isArray(embedding) ? Float32Array.from(embedding) : null,
      });
    }
    return out;
  }

  async existing(space: string, ids: string[]): Promise<Set<string>> {
    const s = this.schema;
    const where = s.spaceProperty === null ? '' : ` WHERE n.${q(s.spaceProperty)} = $space`;
    const rows = await this.#run(
      'existence check',
      false,
      async (session) =>
        (await session.run(`UNWIND $ids AS id MATCH (n:${q(s.label)} {${q(s.idProperty)}: id})${where} RETURN DISTINCT id`, { ids, space })).records,
    );
    return new Set(rows.map((r) => String(r.get('id'))));
  }

  async activate(query: ActivationQuery): Promise<ActivationResult> {
    const embedding = Array.from(query.embedding);
    return this.#run('activation', false, async (session) => {
      let hits: Awaited<ReturnType<typeof exactTopK>>;
      if (this.#options.activation === 'exact') hits = await exactTopK(session, this.schema, embedding, query.space, query.k);
      else {
        const found = await indexTopK(session, this.schema, embedding, query.space, query.k, this.#options.overfetch ?? 4);
        hits = found.complete ? found.hits : await exactTopK(session, this.schema, embedding, query.space, query.k);
      }
      const spreading = this.#options.spreading;
      return { hits: spreading ? await spread(session, this.schema, hits, query.space, query.k, spreading) : hits };
    });
  }

  /** Nodes of the label (in `space`, when given and the label has a space property). */
  async countMemories(space?: string): Promise<number> {
    const s = this.schema;
    const where = space !== undefined && s.spaceProperty !== null ? ` WHERE n.${q(s.spaceProperty)} = $space` : '';
    return this.#run('count', false, async (session) =>
      toNumber((await session.run(`MATCH (n:${q(s.label)})${where} RETURN count(n) AS c`, { space })).records[0]?.get('c')),
    );
  }

  /** The driver is the caller's; closing the adapter leaves it open. */
  async close(): Promise<void> {
    // nothing owned
  }
}
