import type { Command } from 'commander';
import neo4j from 'neo4j-driver';
import { FileCutoverStore, type CutoverStateStore } from '../live/cutover/cutover-store.js';
import { Neo4jCutoverStore } from '../live/cutover/neo4j-cutover-store.js';
import { configFromFlags } from './common-options.js';

export type CutoverFlags = Record<string, unknown> & { stateFile?: string; cutoverName: string; json?: boolean };

/**
 * The lever's store: the state file with `--state-file` (one process or one host), else the primary
 * Neo4j (the built-in choice: every router of a fleet watches the same node).
 */
export async function withCutoverStore<T>(flags: CutoverFlags, work: (store: CutoverStateStore) => Promise<T>): Promise<T> {
  if (flags.stateFile) return work(new FileCutoverStore(flags.stateFile));
  const config = configFromFlags(flags);
  const auth = config.source.password ? neo4j.auth.basic(config.source.user, config.source.password) : undefined;
  const driver = neo4j.driver(config.source.uri, auth);
  try {
    return await work(new Neo4jCutoverStore({ driver, database: config.source.database, name: flags.cutoverName }));
  } finally {
    await driver.close();
  }
}

/** Flags choosing the cutover state's store. */
export function addCutoverStoreOptions(cmd: Command): Command {
  return cmd
    .option('--state-file <file>', 'keep the state in this local file instead of Neo4j (one process or one host)')
    .option('--cutover-name <name>', 'which lever in Neo4j (one per migration)', 'default')
    .option('-c, --config <file>', 'config file (JSON or YAML); flags and environment variables override it')
    .option('--neo4j-uri <uri>', 'Neo4j Bolt URI [env NEO4J_URI]')
    .option('--neo4j-user <user>', 'Neo4j user [env NEO4J_USER]')
    .option('--neo4j-password <password>', 'Neo4j password [env NEO4J_PASSWORD]')
    .option('--database <name>', 'Neo4j database [env NEO4J_DATABASE]')
    .option('--json', 'print JSON on stdout');
}
