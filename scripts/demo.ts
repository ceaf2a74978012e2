/**
 * The main job, end to end on this machine: start the project's own Neo4j 5.26, load the seeded sample
 * graph (article schema plus variety), backfill it into a bundle directory, then validate the bundle
 * against Neo4j. Run with `npm run demo` (which builds, generates the models and resolves the Neo4j jars first).
 *
 *   node dist/scripts/demo.js [--nodes 10000] [--seed 42] [--bundle ./bundle] [--keep-neo4j] [--port 7687]
 */
import { resolve } from 'node:path';
import { parseScriptArgs } from './script-args.js';
import neo4j from 'neo4j-driver';
import { printBackfillSummary } from '../src/cli/backfill-command.js';
import { formatTable } from '../src/cli/output.js';
import { ProgressReporter } from '../src/cli/progress-reporter.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import { backfill } from '../src/engine/backfill.js';
import { errorMessage } from '../src/errors.js';
import { loadSampleGraph } from '../src/sample/sample-graph.js';
import { startNeo4j } from '../src/sample/neo4j-server.js';
import { formatReport } from '../src/validate/report-format.js';
import { storeReport } from '../src/validate/report-store.js';

const USAGE = `Usage: node dist/scripts/demo.js [options]   (npm run demo builds, generates the models and resolves Neo4j first)

The main job end to end: start Neo4j 5.26, load the sample graph, backfill it into a bundle, validate it.

Options:
  --nodes <n>        sample graph size (default 10000)
  --seed <n>         random seed (default 42)
  --bundle <dir>     bundle directory (default ./bundle; replaced on every run)
  --run-dir <dir>    run directory (default .runs/demo)
  --port <n>         Bolt port of the demo's Neo4j (default 7687)
  --keep-neo4j       leave Neo4j running afterwards
  -h, --help         this text`;
import { validate } from '../src/validate/validate.js';

const { values } = parseScriptArgs(USAGE, {
  nodes: { type: 'string', default: '10000' },
  seed: { type: 'string', default: '42' },
  bundle: { type: 'string', default: './bundle' },
  'run-dir': { type: 'string', default: '.runs/demo' },
  port: { type: 'string', default: '7687' },
  'keep-neo4j': { type: 'boolean', default: false },
});

const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const nodes = Number(values.nodes);
  const port = Number(values.port);
  say(`1/4 starting Neo4j 5.26 on bolt://127.0.0.1:${port} (data in .runs/neo4j-demo)`);
  const server = await startNeo4j({ port, dataDir: resolve('.runs/neo4j-demo'), auth: false, heap: '2g', pageCache: '1g' });
  try {
    say(`2/4 loading the sample graph: ${nodes} nodes, seed ${values.seed}`);
    const driver = neo4j.driver(server.uri);
    const loaded = await loadSampleGraph(driver, { nodes, seed: Number(values.seed), clear: true });
    await driver.close();
    say(`    ${loaded.nodes} nodes and ${loaded.relationships} relationships in ${loaded.seconds.toFixed(1)} s`);
    const config = resolveConfig({ source: { uri: server.uri }, target: { kind: 'bundle', path: values.bundle }, runDir: values['run-dir'] });
    say(`3/4 backfill into the bundle ${values.bundle} (run dir ${config.runDir})`);
    const progress = new ProgressReporter({ intervalSeconds: 5 });
    const summary = await backfill({
      config,
      overwrite: true,
      onProgress: (e) => (e.phase === 'nodes' || e.phase === 'edges' ? progress.update(e.phase, e.done, e.total) : undefined),
    });
    progress.stop();
    printBackfillSummary(summary, say);
    if (summary.status !== 'completed') return 1;
    say(`4/4 validating a sample of ${config.validate.sampleSize} nodes against the bundle`);
    const report = await validate({ config });
    await storeReport(config.runDir, report);
    for (const line of formatReport(report, formatTable)) say(line);
    say(`\nbundle: ${resolve(values.bundle)}   reject log: ${summary.files.rejects}   validation: ${config.runDir}/validate/latest.json`);
    return report.passed ? 0 : 7;
  } finally {
    if (values['keep-neo4j']) say(`Neo4j keeps running at ${server.uri} (stop it with: npm run neo4j:stop -- --data-dir .runs/neo4j-demo)`);
    else await server.stop();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    say(`demo failed: ${errorMessage(err)}`);
    process.exitCode = 1;
  },
);
