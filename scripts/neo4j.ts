/**
 * Controls the project's own Neo4j: `install | start | stop | status`.
 *
 *   node dist/scripts/neo4j.js start --port 7687 --data-dir .runs/neo4j --no-auth --heap 2g --page-cache 1g
 *   node dist/scripts/neo4j.js start --auth --password secret123   (or env NEO4J_PASSWORD; user: --user, default neo4j)
 *   node dist/scripts/neo4j.js status | stop [--data-dir ...]
 *
 * `start` runs the server detached and writes `<data-dir>/neo4j.pid`, so a later `stop` finds it.
 */
import { join, resolve } from 'node:path';
import { parseScriptArgs } from './script-args.js';
import neo4j from 'neo4j-driver';
import { errorMessage } from '../src/errors.js';

const USAGE = `Usage: node dist/scripts/neo4j.js install | start | stop | status [options]   (npm run neo4j:<command> -- [options])

Controls the project's own Neo4j 5.26 (jars from Maven Central, run by the small Java launcher in neo4j/).
  install                 resolve the jars and build the launcher (idempotent)
  start                   start Neo4j detached; prints the Bolt URI when ready; writes <data-dir>/neo4j.pid
  stop | status           stop, or describe, the Neo4j of --data-dir

Options:
  --port <n>              Bolt port (default 7687)
  --data-dir <dir>        store and pid file (default .runs/neo4j)
  --auth | --no-auth      require a password (default: no auth)
  --user <name>           user for --auth (default neo4j)
  --password <secret>     password for --auth (or env NEO4J_PASSWORD)
  --heap <size>           JVM heap (default 2g)
  --page-cache <size>     page cache (default 1g)
  -h, --help              this text`;
import { installNeo4j, neo4jStatus, startNeo4j, stopNeo4j } from '../src/sample/neo4j-server.js';

const COMMANDS = ['install', 'start', 'stop', 'status'] as const;

const { values, positionals } = parseScriptArgs(
  USAGE,
  {
    port: { type: 'string', default: '7687' },
    'data-dir': { type: 'string', default: '.runs/neo4j' },
    auth: { type: 'boolean', default: false },
    'no-auth': { type: 'boolean', default: false },
    user: { type: 'string', default: 'neo4j' },
    password: { type: 'string' },
    heap: { type: 'string', default: '2g' },
    'page-cache': { type: 'string', default: '1g' },
  },
  true,
);

async function boltAnswers(uri: string): Promise<string> {
  const password = values.password ?? process.env.NEO4J_PASSWORD;
  const auth = password === undefined ? undefined : neo4j.auth.basic(values.user ?? 'neo4j', password);
  const driver = neo4j.driver(uri, auth, { connectionTimeout: 2_000 });
  try {
    await driver.verifyConnectivity();
    return 'bolt answers';
  } catch (err) {
    return `bolt: ${errorMessage(err).split('\n')[0] ?? ''}`;
  } finally {
    await driver.close();
  }
}

async function main(): Promise<number> {
  const command = positionals[0];
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number])) {
    console.error(`usage: neo4j.ts <${COMMANDS.join(' | ')}> [flags]; got ${command ?? 'nothing'}`);
    return 2;
  }
  const dataDir = resolve(values['data-dir'] ?? '.runs/neo4j');
  const pidFile = join(dataDir, 'neo4j.pid');
  if (command === 'install') {
    const r = await installNeo4j({ log: (l) => console.log(l) });
    console.log(`${r.built ? 'built' : 'already installed'}: ${r.launcherJar} + ${r.libDir} in ${r.seconds.toFixed(1)} s`);
  } else if (command === 'start') {
    const useAuth = values.auth === true && values['no-auth'] !== true;
    const password = values.password ?? process.env.NEO4J_PASSWORD;
    if (useAuth && password === undefined) throw new Error('--auth needs --password or env NEO4J_PASSWORD');
    const h = await startNeo4j({
      port: Number(values.port),
      dataDir,
      auth: useAuth && password !== undefined ? { user: values.user ?? 'neo4j', password } : false,
      heap: values.heap,
      pageCache: values['page-cache'],
      detached: true,
      install: { log: (l) => console.log(l) },
    });
    console.log(`Neo4j ready at ${h.uri} (pid ${h.pid}, cold start ${h.startSeconds.toFixed(1)} s, log ${h.logFile})`);
  } else if (command === 'stop') {
    console.log(`Neo4j on ${dataDir}: ${await stopNeo4j(pidFile)}`);
  } else {
    const s = await neo4jStatus(pidFile);
    const extra = s.running && s.info ? ` pid ${s.info.pid} ${s.info.uri}, ${await boltAnswers(s.info.uri)}` : '';
    console.log(`Neo4j on ${dataDir}: ${s.running ? 'running' : 'not running'}${extra}`);
    return s.running ? 0 : 3;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(errorMessage(err));
    process.exit(1);
  },
);
