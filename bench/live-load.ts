/**
 * Issues 5 and 13's load test, full length: ≥ 1,000 dual writes/s in all for 60 s from three service
 * processes (each its own queue), 20% of the writes updates of existing keys, against the real Neo4j and
 * the Engram double; a 20 s Engram outage, a kill -9 of one service in the middle, its restart on the same
 * queue, dead-letter drains; then every key must be in both stores with Engram at Neo4j's latest version
 * (read back and compared), none older in Neo4j than a version a service acknowledged, and the primary's
 * P99 during the outage within 20% of before.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/live-load.js [--rate 1000] [--duration 60] [--outage-at 15]
 *     [--outage 20] [--kill-at 25] [--replay-interval 10] [--lead-in 20] [--control] [--replay-rate 0]
 *     [--instances 3] [--update-fraction 0.2] [--stray-write-ms 30000]
 *
 * The service first writes at the same rate for --lead-in seconds (a warm service and a warm Neo4j, as in
 * production); the 60 s, the outage and the kill are timed from the end of the lead-in. Lead-in writes are
 * checked like all others but are not in the rate or the latency windows. --control runs the same scenario
 * without the outage: its P99 ratio is what this machine's noise alone gives.
 *
 * Uses NEO4J_URI when set; otherwise starts its own Neo4j (first free port from 7730, data dir
 * .runs/neo4j-live-load-<port>) and stops it at the end.
 * Prints the measurements as JSON and exits 1 when a criterion fails.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findProjectDir, isPortInUse, startNeo4j, type Neo4jHandle } from '../src/sample/neo4j-server.js';
import { runLiveLoad } from './live-load-run.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '60' },
    'outage-at': { type: 'string', default: '15' },
    outage: { type: 'string', default: '20' },
    'kill-at': { type: 'string', default: '25' },
    'replay-interval': { type: 'string', default: '10' },
    'lead-in': { type: 'string', default: '20' },
    'replay-rate': { type: 'string', default: '0' },
    control: { type: 'boolean', default: false },
    port: { type: 'string', default: '7730' },
    instances: { type: 'string', default: '3' },
    'update-fraction': { type: 'string', default: '0.2' },
    'stray-write-ms': { type: 'string', default: '30000' },
  },
});
const seconds = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, got ${values[name]}`);
  return n * 1000;
};

const root = findProjectDir();
let neo: Neo4jHandle | null = null;
let uri = process.env.NEO4J_URI ?? '';
if (uri === '') {
  let port = Number(values.port);
  while (await isPortInUse(port)) port++; // another run or another Neo4j holds it
  neo = await startNeo4j({ port, dataDir: join(root, '.runs', `neo4j-live-load-${port}`), auth: false, heap: '2g', pageCache: '1g' });
  uri = neo.uri;
  console.error(`started Neo4j at ${uri} in ${neo.startSeconds.toFixed(1)} s`);
}
try {
  const result = await runLiveLoad({
    neo4jUri: uri,
    workDir: join(root, '.runs', 'live-load'),
    rate: Number(values.rate),
    durationMs: seconds('duration'),
    outageAtMs: seconds('outage-at'),
    outageMs: seconds('outage'),
    killAtMs: seconds('kill-at'),
    replayIntervalMs: seconds('replay-interval'),
    leadInMs: seconds('lead-in'),
    replayRate: Number(values['replay-rate']),
    instances: Number(values.instances),
    updateFraction: Number(values['update-fraction']),
    strayWriteMs: Number(values['stray-write-ms']),
    outageMode: values.control ? 'none' : 'refuse',
    neo4jPid: neo?.pid ?? null,
    log: (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
  console.log(JSON.stringify(result, null, 2));
  const w = result.writes;
  console.error(
    `live-load: ${result.instances} services, ${w.achievedRate} writes/s (running ${w.runningRate}/s; ${w.updates} of ${w.loggedAcked} writes were updates), P99 ratio ${result.p99Ratio} ` +
      `(before ${result.latencyMs.before.p99} ms, outage ${result.latencyMs.outage.p99} ms), keys ${w.neo4j} in Neo4j / ${w.engram} in Engram, ` +
      `updated keys at Neo4j's latest in Engram ${result.updatedKeys.atLatest}/${result.updatedKeys.keys}, missing ${JSON.stringify(result.missing)}, queues ${JSON.stringify(result.queues)}, ` +
      `load average ${result.machine.loadAverageStart.toFixed(2)} → ${result.machine.loadAverageEnd.toFixed(2)} on ${result.machine.cores} cores`,
  );
  console.error(
    result.ok
      ? 'PASS'
      : `FAIL: ${Object.entries(result.pass)
          .filter(([, ok]) => !ok)
          .map(([k]) => k)
          .join(', ')}`,
  );
  process.exitCode = result.ok ? 0 : 1;
} finally {
  await neo?.stop();
}
