/**
 * The live-migration load test of issues 5 and 13, as a function (bench/live-load.ts runs it full
 * length; an integration test runs it shortened): after a lead-in at the same rate (`leadInMs`, warming
 * the services and Neo4j), dual writes at `rate`/s in all from `instances` service processes (each with
 * its own dead-letter queue; `updateFraction` of the writes update a key written before) for
 * `durationMs` against the real Neo4j and the Engram double, a secondary outage of `outageMs` from
 * `outageAtMs`, a kill -9 of the first service at `killAtMs` and an immediate restart on its queue; then
 * every key must be in both stores with Engram holding Neo4j's latest version, and the primary's P99
 * during the outage must stay within 20% of its P99 before.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import neo4j from 'neo4j-driver';
import { Neo4jGraphDatabase } from '../src/live/adapters/neo4j-graph-database.js';
import type { LatencySummary } from '../src/live/shadow/latency-histogram.js';
import { cpus, loadavg } from 'node:os';
import { cpuSecondsOf, spawnDoubleProcess, spawnService, type DoubleProcess } from './live-load-procs.js';
import { compareStores, engramIds, neo4jContents, readLog, window } from './live-load-stores.js';

export interface LiveLoadOptions {
  neo4jUri: string;
  workDir: string;
  rate?: number;
  durationMs?: number;
  outageAtMs?: number;
  outageMs?: number;
  killAtMs?: number;
  replayIntervalMs?: number;
  /** Replays per second at most in the service (0 = no limit, the library's default). */
  replayRate?: number;
  /**
   * The service writes at `rate` for this long before the measured `durationMs` begin (default 20 s): a
   * production service and its Neo4j are warm, and a cold start (JIT compilation in Node and in Neo4j,
   * pools filling) would otherwise put a backlog into the window the outage is compared with. Lead-in
   * writes must end up in both stores like all others; they are not in the rate or the latency windows.
   */
  leadInMs?: number;
  /**
   * `none`: a control run. Everything as in the real one (lead-in, kill -9, restart, the same windows)
   * but Engram stays up: the P99 ratio it prints is the one the machine's noise alone gives.
   */
  outageMode?: 'refuse' | 'none';
  /** Writes of the first `warmupMs` after the restart (a cold process) are not in the outage's P99 window. */
  warmupMs?: number;
  label?: string;
  space?: string;
  /** Service processes writing at once, each at rate / instances with its own dead-letter queue (default 3); the first is killed. */
  instances?: number;
  /** Share of the writes that update a key the same process wrote before (default 0.2). */
  updateFraction?: number;
  /**
   * The services' `strayWriteMs` (default 30 s, the library's): how long a write a service gave up on
   * may still land in Engram; keys with such a write are read back once more after it.
   */
  strayWriteMs?: number;
  /** The Neo4j server's pid, when this machine runs it: its CPU time goes into the result. */
  neo4jPid?: number | null;
  log?: (line: string) => void;
}

export interface LiveLoadResult {
  target: { rate: number; durationMs: number; outageMs: number; leadInMs: number; outageMode: 'refuse' | 'none'; updateFraction: number };
  /** `neo4j`/`engram`: every write in the store, lead-in included; `measured`: those of the measured window. */
  /** `neo4j`/`engram`: keys in the store; `updates`: writes that were updates of a key (in `loggedAcked`). */
  writes: {
    loggedAcked: number;
    updates: number;
    leadIn: number;
    measured: number;
    neo4j: number;
    engram: number;
    errors: number;
    achievedRate: number;
    runningRate: number;
  };
  /**
   * `contentMismatches`: keys whose content in Engram is not Neo4j's (an older version included);
   * `olderThanAcked`: keys whose version in Neo4j is older than a version a service acknowledged.
   */
  missing: { inNeo4j: number; inEngram: number; phantomsInEngram: number; contentMismatches: number; olderThanAcked: number };
  /** Keys updated at least once, and how many of them Engram holds at Neo4j's latest version. */
  updatedKeys: { keys: number; atLatest: number };
  /** The first keys (at most 20) whose content in Engram is not Neo4j's, with both contents. */
  mismatches: Array<{ id: string; neo4j: string; engram: string | null }>;
  instances: number;
  restart: { downMs: number; recovered: Record<string, number> };
  drainMs: number;
  /** What the services' dead-letter queues still held after their drains: queued, and parked (given up on, with a reason). */
  queues: { remaining: number; parked: number };
  latencyMs: { before: LatencySummary; outage: LatencySummary; outageWithRestart: LatencySummary; after: LatencySummary };
  p99Ratio: number;
  /** CPU seconds per process over the run and per write, so the result can be read apart from machine load. */
  cpu: {
    serviceSeconds: number;
    doubleSeconds: number;
    neo4jSeconds: number | null;
    msPerWrite: { service: number; double: number; neo4j: number | null };
    coresForTarget: number | null;
  };
  machine: { cores: number; loadAverageStart: number; loadAverageEnd: number };
  pass: { allWritesInBoth: boolean; rate: boolean; p99: boolean };
  ok: boolean;
}

/** Entries a service's queue parked (given up on), from its final summary. */
const parkedOf = (summary: Record<string, unknown>): number => Number((summary.dlq as { parked?: number } | undefined)?.parked ?? 0);

const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

async function prepare(o: Required<LiveLoadOptions>): Promise<void> {
  await rm(o.workDir, { recursive: true, force: true });
  await mkdir(o.workDir, { recursive: true });
  const driver = neo4j.driver(o.neo4jUri);
  const session = driver.session();
  try {
    await session.run(`MATCH (n:\`${o.label}\`) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS`); // implicit transaction only
    await new Neo4jGraphDatabase({ driver, label: o.label }).ensureSchema({ vectorIndex: false });
  } finally {
    await session.close();
    await driver.close();
  }
}

type Resolved = Required<LiveLoadOptions>;

/** What happened, in wall-clock times, and the CPU counters around it. */
interface Timeline {
  /** When service 1 was ready and began writing (the lead-in), and when the measured window began. */
  leadInAt: number;
  t0: number;
  killedAt: number;
  restartedAt: number;
  recovered: Record<string, number>;
  summary: Record<string, unknown>;
  serviceSeconds: number;
  doubleSeconds: number;
  neo4jSeconds: number | null;
}

/**
 * `instances` services from the lead-in, each at rate / instances on its own queue; the outage; kill -9
 * of the first at `killAtMs` and its successor on the same queue (new keys under another prefix) until
 * the end; every service's drain.
 */
async function drive(o: Resolved, double: DoubleProcess, logs: string[]): Promise<Timeline> {
  const flags = (name: string, dlq: string, durationMs: number): string[] => [
    '--neo4j-uri',
    o.neo4jUri,
    '--engram-url',
    double.url,
    '--label',
    o.label,
    '--space',
    o.space,
    '--dlq-dir',
    join(o.workDir, `dlq-${dlq}`),
    '--rate',
    String(o.rate / o.instances),
    '--duration-ms',
    String(Math.round(durationMs)),
    '--id-prefix',
    name,
    '--log',
    logs[logs.push(join(o.workDir, `writes-${name}.log`)) - 1]!,
    '--replay-interval-ms',
    String(o.replayIntervalMs),
    '--replay-rate',
    String(o.replayRate),
    '--update-fraction',
    String(o.updateFraction),
    '--stray-write-ms',
    String(o.strayWriteMs),
  ];
  const doubleCpu = async (): Promise<number> => ((await double.stats()).process as { cpuMs: number }).cpuMs / 1000;
  const [double0, neo0] = [await doubleCpu(), o.neo4jPid ? cpuSecondsOf(o.neo4jPid) : null];
  const names = Array.from({ length: o.instances }, (_, i) => String.fromCharCode(97 + i));
  const services = names.map((n) => spawnService(flags(n, n, o.leadInMs + o.durationMs)));
  await Promise.all(services.map((s) => s.ready));
  const leadInAt = Date.now();
  o.log(
    `${o.instances} services (pids ${services.map((s) => s.pid).join(', ')}) writing ${o.rate}/s in all, ${o.updateFraction * 100}% updates, lead-in of ${o.leadInMs / 1000} s`,
  );
  await sleepUntil(leadInAt + o.leadInMs);
  const t0 = Date.now();
  o.log('measured window begins');
  await sleepUntil(t0 + o.outageAtMs);
  if (o.outageMode === 'refuse') {
    await double.setFaults({ outage: { durationMs: o.outageMs, mode: 'refuse' } });
    o.log(`Engram outage for ${o.outageMs / 1000} s`);
  } else o.log(`control run: no outage (the window of ${o.outageMs / 1000} s is measured all the same)`);
  await sleepUntil(t0 + o.killAtMs);
  const first = services[0]!;
  const firstCpu = cpuSecondsOf(first.pid) ?? first.cpuSeconds();
  await first.kill9();
  const killedAt = Date.now();
  o.log(`kill -9 of service a at ${((killedAt - t0) / 1000).toFixed(1)} s`);
  const successor = spawnService(flags(`${names[0]}2`, names[0]!, t0 + o.durationMs - Date.now()));
  const recovered = await successor.ready;
  const restartedAt = Date.now();
  o.log(`service a2 up after ${restartedAt - killedAt} ms on a's queue, recovered ${JSON.stringify(recovered)}`);
  const summaries = await Promise.all([successor, ...services.slice(1)].map((s) => s.done));
  o.log(
    `services done: ${JSON.stringify(summaries.map((x) => ({ acked: x.acked, updates: x.updates, errors: x.errors, remaining: x.remaining, parked: parkedOf(x), drainMs: x.drainMs })))}`,
  );
  const sum = (key: string): number => summaries.reduce((n, x) => n + Number(x[key] ?? 0), 0);
  const [double1, neo1] = [await doubleCpu(), o.neo4jPid ? cpuSecondsOf(o.neo4jPid) : null];
  return {
    leadInAt,
    t0,
    killedAt,
    restartedAt,
    recovered,
    summary: {
      errors: sum('errors'),
      remaining: sum('remaining'),
      parked: summaries.reduce((n, x) => n + parkedOf(x), 0),
      drainMs: Math.max(...summaries.map((x) => Number(x.drainMs ?? 0))),
    },
    serviceSeconds: firstCpu + sum('cpuSeconds'),
    doubleSeconds: double1 - double0,
    neo4jSeconds: neo0 !== null && neo1 !== null ? neo1 - neo0 : null,
  };
}

function cpuReport(o: Resolved, tl: Timeline, writes: number): LiveLoadResult['cpu'] {
  const perWrite = (seconds: number): number => Math.round((seconds * 1e6) / Math.max(1, writes)) / 1000;
  const msPerWrite = {
    service: perWrite(tl.serviceSeconds),
    double: perWrite(tl.doubleSeconds),
    neo4j: tl.neo4jSeconds === null ? null : perWrite(tl.neo4jSeconds),
  };
  const total = msPerWrite.neo4j === null ? null : msPerWrite.service + msPerWrite.double + msPerWrite.neo4j;
  return {
    serviceSeconds: tl.serviceSeconds,
    doubleSeconds: tl.doubleSeconds,
    neo4jSeconds: tl.neo4jSeconds,
    msPerWrite,
    coresForTarget: total === null ? null : Math.round((total * o.rate) / 10) / 100,
  };
}

/** Runs the scenario and measures; never throws for a failed criterion (see `ok`). */
export async function runLiveLoad(options: LiveLoadOptions): Promise<LiveLoadResult> {
  const o: Resolved = {
    rate: 1000,
    durationMs: 60_000,
    outageAtMs: 15_000,
    outageMs: 20_000,
    killAtMs: 25_000,
    replayIntervalMs: 10_000,
    leadInMs: 20_000,
    warmupMs: 3_000,
    outageMode: 'refuse',
    replayRate: 0,
    label: 'LiveLoadMemory',
    space: 'live_load',
    instances: 3,
    updateFraction: 0.2,
    strayWriteMs: 30_000,
    neo4jPid: null,
    log: () => undefined,
    ...options,
  };
  await prepare(o);
  const double = await spawnDoubleProcess();
  const logs: string[] = [];
  try {
    const load0 = loadavg()[0]!;
    const tl = await drive(o, double, logs);
    const rows = (await Promise.all(logs.map(readLog))).flat();
    const [inNeo, inEngram] = await Promise.all([neo4jContents(o.neo4jUri, o.label), engramIds(double.url, o.space)]);
    const outageEnd = tl.t0 + o.outageAtMs + o.outageMs;
    const latencyMs = {
      before: window(rows, tl.t0, tl.t0 + o.outageAtMs),
      outage: window(rows, tl.t0 + o.outageAtMs, outageEnd, [tl.killedAt, tl.restartedAt + o.warmupMs]),
      outageWithRestart: window(rows, tl.t0 + o.outageAtMs, outageEnd),
      after: window(rows, outageEnd, tl.t0 + o.durationMs + 1),
    };
    const { missing, updatedKeys, mismatches } = compareStores(rows, inNeo, inEngram);
    // one of the services was down between the kill and the restart: its share of the rate was not written
    const runningMs = o.durationMs - (tl.restartedAt - tl.killedAt) / o.instances;
    const p99Ratio = latencyMs.before.p99 === 0 ? Number.POSITIVE_INFINITY : latencyMs.outage.p99 / latencyMs.before.p99;
    // lead-in writes: those started before t0 (all logged: the log is flushed every 100 ms, the kill comes later)
    const leadIn = rows.filter((r) => r.startedAt < tl.t0).length;
    const updates = rows.filter((r) => r.version > 0).length;
    // writes (new keys and updates) of the measured window; a killed service's last unlogged writes are in neither
    const measured = rows.length - leadIn;
    const writes = {
      loggedAcked: rows.length,
      updates,
      leadIn,
      measured,
      neo4j: inNeo.size,
      engram: inEngram.size,
      errors: Number(tl.summary.errors ?? 0),
      achievedRate: Math.round(measured / (o.durationMs / 1000)),
      runningRate: Math.round(measured / (runningMs / 1000)),
    };
    const pass = {
      allWritesInBoth: Object.values(missing).every((n) => n === 0) && Number(tl.summary.remaining) === 0 && Number(tl.summary.parked) === 0,
      rate: writes.runningRate >= o.rate * 0.98,
      p99: p99Ratio <= 1.2,
    };
    return {
      cpu: cpuReport(o, tl, inNeo.size),
      machine: { cores: cpus().length, loadAverageStart: load0, loadAverageEnd: loadavg()[0]! },
      target: {
        rate: o.rate,
        durationMs: o.durationMs,
        outageMs: o.outageMs,
        leadInMs: o.leadInMs,
        outageMode: o.outageMode,
        updateFraction: o.updateFraction,
      },
      instances: o.instances,
      writes,
      missing,
      updatedKeys,
      mismatches,
      restart: { downMs: tl.restartedAt - tl.killedAt, recovered: tl.recovered },
      drainMs: Number(tl.summary.drainMs ?? 0),
      queues: { remaining: Number(tl.summary.remaining ?? 0), parked: Number(tl.summary.parked ?? 0) },
      latencyMs,
      p99Ratio: Math.round(p99Ratio * 1000) / 1000,
      pass,
      ok: pass.allWritesInBoth && pass.rate && pass.p99,
    };
  } finally {
    await double.stop();
  }
}
