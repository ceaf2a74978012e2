/**
 * The service of the live load test (bench/live-load.ts): dual writes at a fixed rate (open loop) into
 * Neo4j (primary) and Engram (secondary) through the library, with the durable dead-letter queue and its
 * replayer. The orchestrator kills it with SIGKILL mid-run and starts it again on the same queue.
 *
 *   node dist/bench/live-load-service.js --neo4j-uri bolt://127.0.0.1:7687 --engram-url http://127.0.0.1:7432 \
 *     --label LiveLoadMemory --space live_load --dlq-dir .runs/live-load/dlq --rate 1000 --duration-ms 60000 \
 *     --id-prefix a --log .runs/live-load/writes-a.log [--replay-interval-ms 10000] [--replay-rate 0] [--drain-timeout-ms 120000]
 *     [--update-fraction 0] [--stray-write-ms 30000]
 *
 * Prints `READY {recovered queue stats}` and at the end `DONE {json}`. Every acknowledged write is
 * appended to --log as `<id> <start epoch ms> <latency ms> <version>` (flushed to the kernel every 100
 * ms, so a kill -9 loses at most the last 100 ms of log lines, never a write). With --update-fraction f,
 * that share of the writes are updates (new content `live load write <id> v<n>` and a new embedding) of
 * a key this process wrote before, sent once the key's previous write is acknowledged (one process owns
 * its keys, as a service routed by key does: two processes writing one key at once, or one process two
 * writes of a key at once, are not ordered by the library).
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLiveNeo4jDriver } from '../src/live/adapters/bolt-no-delay.js';
import { DeadLetterQueue } from '../src/live/dlq/dead-letter-queue.js';
import { DlqReplayer } from '../src/live/dlq/dlq-replayer.js';
import { DualWriteCoordinator } from '../src/live/dual-write/dual-write-coordinator.js';
import { EngramGraphDatabase } from '../src/live/adapters/engram-graph-database.js';
import { Neo4jGraphDatabase } from '../src/live/adapters/neo4j-graph-database.js';

const { values: v } = parseArgs({
  options: {
    'neo4j-uri': { type: 'string' },
    'engram-url': { type: 'string' },
    label: { type: 'string', default: 'LiveLoadMemory' },
    space: { type: 'string', default: 'live_load' },
    'dlq-dir': { type: 'string' },
    rate: { type: 'string', default: '1000' },
    'duration-ms': { type: 'string', default: '60000' },
    'id-prefix': { type: 'string', default: 'w' },
    log: { type: 'string' },
    'replay-interval-ms': { type: 'string', default: '10000' },
    'replay-rate': { type: 'string', default: '0' },
    'drain-timeout-ms': { type: 'string', default: '120000' },
    'max-outstanding': { type: 'string', default: '5000' },
    'update-fraction': { type: 'string', default: '0' },
    'stray-write-ms': { type: 'string', default: '30000' },
  },
});
const need = (name: keyof typeof v): string => {
  const value = v[name];
  if (typeof value !== 'string' || value === '') throw new Error(`--${name} is required`);
  return value;
};

const rate = Number(v.rate);
const durationMs = Number(v['duration-ms']);
const maxOutstanding = Number(v['max-outstanding']);
const space = need('space');
const prefix = need('id-prefix');
const logPath = need('log');
const updateFraction = Number(v['update-fraction']);
if (!(updateFraction >= 0 && updateFraction < 1)) throw new Error(`--update-fraction must be in [0, 1), got ${v['update-fraction']}`);

const driver = createLiveNeo4jDriver(need('neo4j-uri'), undefined, { maxConnectionPoolSize: 8 });
const neo = new Neo4jGraphDatabase({ driver, label: need('label'), maxBatch: 250, maxWriteTransactions: 2 });
const engram = new EngramGraphDatabase({
  client: { url: need('engram-url'), maxRetries: 1, retryBaseMs: 100, retryMaxMs: 400, timeoutMs: 2_000, connections: 32 },
});
const dlq = await DeadLetterQueue.open(need('dlq-dir'), { retryBaseMs: 1_000, retryMaxMs: 5_000, strayWriteMs: Number(v['stray-write-ms']) });
const dual = new DualWriteCoordinator({ primary: neo, secondary: engram, dlq, maxSecondaryInFlight: 64, secondaryTimeoutMs: 2_000 });
const replayer = new DlqReplayer({
  dlq,
  secondary: engram,
  primary: neo,
  intervalMs: Number(v['replay-interval-ms']),
  concurrency: 32,
  ratePerSecond: Number(v['replay-rate']),
});
const recovered = dlq.stats();
replayer.start();

let lines: string[] = [];
let errors = 0;
let issued = 0;
let acked = 0;
let outstanding = 0;
let updates = 0;
/** Keys this process wrote, each key's latest version, and its write in flight (an update waits for it). */
const keys: string[] = [];
const version = new Map<string, number>();
const tail = new Map<string, Promise<void>>();
const flushLog = (): void => {
  if (lines.length === 0) return;
  appendFileSync(logPath, lines.join(''));
  lines = [];
};
const logTimer = setInterval(flushLog, 100);

function embedding(): Float32Array {
  const e = new Float32Array(768);
  for (let i = 0; i < 768; i++) e[i] = Math.random() * 2 - 1;
  return e;
}

/** A new key, or (`--update-fraction` of the time) the next version of a key this process wrote before. */
function issue(n: number): void {
  let id = `${prefix}-${n}`;
  if (keys.length > 0 && Math.random() < updateFraction) {
    id = keys[Math.floor(Math.random() * keys.length)]!;
    updates++;
  } else keys.push(id);
  const v = version.has(id) ? version.get(id)! + 1 : 0;
  version.set(id, v);
  outstanding++;
  // a key's writes go one after the other (as a service that locks the record does); its latency runs from its own start
  const write = (tail.get(id) ?? Promise.resolve()).then(() => {
    const startedAt = Date.now();
    const t0 = performance.now();
    return dual
      .createMemory({
        id,
        space,
        content: v === 0 ? `live load write ${id}` : `live load write ${id} v${v}`,
        embedding: embedding(),
        timestamp: new Date(startedAt).toISOString(),
      })
      .then(
        () => {
          acked++;
          lines.push(`${id} ${startedAt} ${(performance.now() - t0).toFixed(3)} ${v}\n`);
        },
        () => void errors++,
      );
  });
  tail.set(id, write);
  void write.finally(() => {
    outstanding--;
    if (tail.get(id) === write) tail.delete(id);
  });
}

process.stdout.write(`READY ${JSON.stringify(recovered)}\n`);
const start = performance.now();
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const elapsed = Math.min(performance.now() - start, durationMs);
    const due = Math.floor((rate * elapsed) / 1000);
    while (issued < due && outstanding < maxOutstanding) issue(issued++);
    if (elapsed >= durationMs) {
      clearInterval(tick);
      resolve();
    }
  }, 2);
});
const generatedMs = performance.now() - start;
while (outstanding > 0) await new Promise((r) => setTimeout(r, 20));
await dual.settle();
await replayer.stop();
const drainStart = performance.now();
const remaining = await replayer.drain(Number(v['drain-timeout-ms']));
const drainMs = performance.now() - drainStart;
clearInterval(logTimer);
flushLog();
const cpu = process.cpuUsage();
const summary = {
  issued,
  updates,
  acked,
  errors,
  generatedMs,
  drainMs,
  remaining,
  recovered,
  dual: dual.stats,
  dlq: dlq.stats(),
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  cpuUserSeconds: cpu.user / 1e6,
  cpuSystemSeconds: cpu.system / 1e6,
};
await dlq.close();
await engram.close();
await driver.close();
process.stdout.write(`DONE ${JSON.stringify(summary)}\n`);
process.exit(0);
