/**
 * Loads the deterministic sample graph into a Neo4j and prints counts and rates.
 *
 *   node dist/scripts/sample-load.js --uri bolt://127.0.0.1:7687 --nodes 100000 --seed 42 \
 *     --missing-embeddings 0.2 --clear [--user neo4j --password secret123] [--database neo4j]
 *     [--concurrency 2 --document-batch-size 1000 --relationship-batch-size 25000]
 *
 * Exits non-zero when Neo4j's counts differ from `sampleCounts` for the same options.
 */
import { parseScriptArgs } from './script-args.js';
import neo4j from 'neo4j-driver';
import { ConfigError, errorMessage } from '../src/errors.js';

const USAGE = `Usage: node dist/scripts/sample-load.js [options]   (npm run sample:load -- [options])

Loads the deterministic sample graph (the article's schema plus variety) into a Neo4j and prints counts
and rates; exits non-zero when Neo4j's counts differ from what the options should give.

Options:
  --uri <bolt-uri>                 Neo4j (default bolt://127.0.0.1:7687)
  --user <name> --password <s>     credentials (default neo4j, no password)
  --database <name>                database (default: the server's default)
  --nodes <n>                      nodes to create (default 10000)
  --seed <n>                       random seed (default 42)
  --missing-embeddings <share>     documents without an embedding (default 0.2)
  --clear                          delete everything first
  --concurrency <n>                parallel writers (default 2)
  --document-batch-size <n>        documents per transaction (default 1000)
  --relationship-batch-size <n>    relationships per transaction (default 25000)
  -h, --help                       this text`;
import { loadSampleGraph, sampleCounts, type LoadSampleGraphOptions } from '../src/sample/sample-graph.js';

const { values } = parseScriptArgs(USAGE, {
  uri: { type: 'string', default: 'bolt://127.0.0.1:7687' },
  user: { type: 'string', default: 'neo4j' },
  password: { type: 'string' },
  nodes: { type: 'string', default: '10000' },
  seed: { type: 'string', default: '42' },
  'missing-embeddings': { type: 'string', default: '0.2' },
  clear: { type: 'boolean', default: false },
  database: { type: 'string' },
  concurrency: { type: 'string', default: '2' },
  'document-batch-size': { type: 'string', default: '1000' },
  'relationship-batch-size': { type: 'string', default: '25000' },
});

function num(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`--${flag}`, `must be a number, got ${String(raw)}`);
  return n;
}

async function main(): Promise<number> {
  const options: LoadSampleGraphOptions = {
    nodes: num('nodes', values.nodes),
    seed: num('seed', values.seed),
    missingEmbeddings: num('missing-embeddings', values['missing-embeddings']),
    clear: values.clear === true,
    database: values.database,
    concurrency: num('concurrency', values.concurrency),
    documentBatchSize: num('document-batch-size', values['document-batch-size']),
    relationshipBatchSize: num('relationship-batch-size', values['relationship-batch-size']),
  };
  const expected = sampleCounts(options);
  const password = values.password ?? process.env.NEO4J_PASSWORD;
  const auth = password === undefined ? undefined : neo4j.auth.basic(values.user ?? 'neo4j', password);
  const driver = neo4j.driver(values.uri ?? 'bolt://127.0.0.1:7687', auth);
  try {
    console.log(`loading ${expected.totalNodes} nodes / ${expected.totalRelationships} relationships into ${values.uri}`);
    let last = 0;
    const r = await loadSampleGraph(driver, {
      ...options,
      onProgress: (p) => {
        if (p.phase === 'clear' || p.phase === 'constraints') console.log(`${p.phase}...`);
        else if (p.done - last >= 100_000 || p.done < last) {
          last = p.done;
          console.log(`  ${p.phase} ${p.done} (${p.name ?? ''})`);
        }
      },
    });
    console.log('nodes by label:', JSON.stringify(r.nodesByLabel));
    console.log('relationships by type:', JSON.stringify(r.relationshipsByType));
    const perName = Object.entries(r.secondsByName).map(([k, v]) => `${k} ${v.toFixed(1)} s`);
    console.log(`seconds: ${perName.join(', ')}`);
    console.log(`documents without embedding: ${expected.documentsWithoutEmbedding} of ${expected.nodes.Document}`);
    console.log(
      `nodes ${r.nodes} in ${r.nodeSeconds.toFixed(1)} s = ${r.nodesPerSecond.toFixed(0)} nodes/s; ` +
        `relationships ${r.relationships} in ${r.relationshipSeconds.toFixed(1)} s = ${r.relationshipsPerSecond.toFixed(0)} rels/s; ` +
        `total ${r.seconds.toFixed(1)} s = ${(r.nodes / r.seconds).toFixed(0)} nodes/s overall`,
    );
    const ok = r.nodes === expected.totalNodes && r.relationships === expected.totalRelationships;
    if (!ok) console.error(`MISMATCH: expected ${expected.totalNodes} nodes / ${expected.totalRelationships} relationships`);
    return ok ? 0 : 1;
  } finally {
    await driver.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(errorMessage(err));
    process.exit(1);
  },
);
