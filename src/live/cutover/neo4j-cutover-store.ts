import neo4j, { type Driver } from 'neo4j-driver';
import { ConfigError } from '../../errors.js';
import { quoteIdentifier as q } from '../../source/neo4j-values.js';
import { initialCutoverState, parseCutoverState, type CutoverState } from './cutover-state.js';
import { nextCutoverState, type CutoverStateChange, type CutoverStateStore } from './cutover-store.js';
import { neo4jError } from '../adapters/neo4j-graph-database.js';

export interface Neo4jCutoverStoreOptions {
  driver: Driver;
  database?: string;
  /** One lever per name (default `default`): a service with several migrations keeps them apart. */
  name?: string;
  /** Label of the state node (default `EngramMigrateCutover`); each change is also kept as a `<label>Change` node. */
  label?: string;
}

/**
 * The cutover lever in the primary Neo4j, like gh-ost's changelog table: one node
 * `(:EngramMigrateCutover {name})` holds the state as JSON and its revision; every change also leaves a
 * `(:EngramMigrateCutoverChange)` node (revision, share, who, why, when) as the audit trail. Every router
 * of the fleet polls the node (one indexed read per `pollMs`, default 200 ms), so `engram-migrate cutover
 * set 0` reaches all of them within a second, whatever host they run on. Updates lock the node in a
 * write transaction (read-modify-write serialised by Neo4j).
 */
export class Neo4jCutoverStore implements CutoverStateStore {
  readonly description: string;
  readonly #driver: Driver;
  readonly #database: string;
  readonly #name: string;
  readonly #label: string;
  #schema: Promise<void> | null = null;

  constructor(options: Neo4jCutoverStoreOptions) {
    this.#driver = options.driver;
    this.#database = options.database ?? 'neo4j';
    this.#name = options.name ?? 'default';
    this.#label = options.label ?? 'EngramMigrateCutover';
    this.description = `neo4j:${this.#label}{name: ${this.#name}}`;
  }

  async #run<T>(
    what: string,
    write: boolean,
    work: (tx: { run: (cypher: string, params?: Record<string, unknown>) => Promise<{ records: Array<{ get: (key: string) => unknown }> }> }) => Promise<T>,
  ): Promise<T> {
    const session = this.#driver.session({ database: this.#database, defaultAccessMode: write ? neo4j.session.WRITE : neo4j.session.READ });
    try {
      return write ? await session.executeWrite((tx) => work(tx)) : await session.executeRead((tx) => work(tx));
    } catch (cause) {
      throw cause instanceof ConfigError ? cause : neo4jError(`cutover state ${what}`, cause);
    } finally {
      await session.close();
    }
  }

  /** The uniqueness constraint on the name (once per store). */
  ensureSchema(): Promise<void> {
    this.#schema ??= (async () => {
      const session = this.#driver.session({ database: this.#database });
      try {
        // instances starting together race here: a deadlock between them is transient, and executeWrite retries it
        await session.executeWrite((tx) =>
          tx.run(`CREATE CONSTRAINT ${q(`${this.#label}_name_unique`)} IF NOT EXISTS FOR (c:${q(this.#label)}) REQUIRE c.name IS UNIQUE`),
        );
      } catch (cause) {
        this.#schema = null;
        throw neo4jError('cutover schema setup', cause);
      } finally {
        await session.close();
      }
    })();
    return this.#schema;
  }

  async #readText(): Promise<string | null> {
    return this.#run('read', false, async (tx) => {
      const rows = (await tx.run(`MATCH (c:${q(this.#label)} {name: $name}) RETURN c.state AS state`, { name: this.#name })).records;
      const text = rows[0]?.get('state');
      return typeof text === 'string' ? text : null;
    });
  }

  async read(): Promise<CutoverState | null> {
    const text = await this.#readText();
    return text === null ? null : parseCutoverState(text, this.description);
  }

  async update(change: (current: CutoverState) => CutoverStateChange | null): Promise<CutoverState> {
    await this.ensureSchema();
    return this.#run('update', true, async (tx) => {
      // MERGE then SET takes the node's write lock: concurrent updates queue behind this transaction
      const rows = (await tx.run(`MERGE (c:${q(this.#label)} {name: $name}) SET c.locked_at = datetime() RETURN c.state AS state`, { name: this.#name }))
        .records;
      const text = rows[0]?.get('state');
      let current = initialCutoverState();
      if (typeof text === 'string') {
        try {
          current = parseCutoverState(text, this.description);
        } catch {
          // a state nobody can read must not block the lever that replaces it
        }
      }
      const next = change(current);
      if (next === null) return current;
      const state = nextCutoverState(current, next);
      await tx.run(
        `MATCH (c:${q(this.#label)} {name: $name}) SET c.state = $state, c.revision = $revision, c.percent = $percent, c.updated_at = $at
         CREATE (:${q(`${this.#label}Change`)} {name: $name, revision: $revision, percent: $percent, source: $source, reason: $reason, at: $at})`,
        {
          name: this.#name,
          state: JSON.stringify(state),
          revision: neo4j.int(state.revision),
          percent: state.percent,
          source: state.source,
          reason: state.reason,
          at: state.updatedAt,
        },
      );
      return state;
    });
  }

  watch(onChange: (state: CutoverState) => void, onError: (err: unknown) => void, pollMs: number): () => void {
    let last: string | null = null;
    let lastError: string | null = null;
    let busy = false;
    const report = (err: unknown): void => {
      const message = err instanceof Error ? err.message : String(err);
      if (message === lastError) return; // Neo4j down: once, not at every poll
      lastError = message;
      try {
        onError(err);
      } catch {
        // a reporter that throws must not stop the watch
      }
    };
    const poll = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        const text = await this.#readText();
        lastError = null;
        if (text === null || text === last) return;
        last = text; // a bad version is reported once, not at every poll
        onChange(parseCutoverState(text, this.description));
      } catch (err) {
        report(err);
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), pollMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
