import { InvalidArgumentError, type Command } from 'commander';
import neo4j from 'neo4j-driver';
import { ConfigError } from '../errors.js';
import { EngramClient } from '../target/engram-client.js';
import { Neo4jGraphDatabase } from '../live/adapters/neo4j-graph-database.js';
import { DeadLetterQueue } from '../live/dlq/dead-letter-queue.js';
import { finalGate, type FinalGateResult, type SpaceCount } from '../live/status/final-gate.js';
import { phaseOf, recordArchive, recordGateCheck, retireNeo4j } from '../live/cutover/cutover-phase.js';
import { parseDuration } from '../live/cutover/cutover-schedule.js';
import { archiveNeo4j, verifyArchive, type ArchiveSummary } from '../live/decommission/neo4j-archive.js';
import { configFromFlags } from './common-options.js';
import { EXIT } from './exit-codes.js';
import { addCutoverStoreOptions, withCutoverStore, type CutoverFlags } from './cutover-store-options.js';
import { formatTable, printJson } from './output.js';

const out = (line: string): void => void process.stderr.write(line + '\n');

type GateFlags = CutoverFlags & {
  dlqDir: string;
  reverseDlqDir: string;
  spaces: string[];
  neo4jLabel: string;
  minHours: number;
  maxGap: string;
  every?: string;
  overlap?: number;
  engramUrl?: string;
  engramApiKey?: string;
};

/** Distinct ids of an Engram space (the list endpoint repeats a memory once per tier that holds it). */
async function engramIds(client: EngramClient, space: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let offset = 0; ; offset += 1000) {
    const page = await client.listMemories(space, offset, 1000, false);
    for (const m of page.memories) ids.add(m.id);
    if (page.memories.length < 1000) return ids;
  }
}

async function queueStats(dir: string): Promise<Awaited<ReturnType<typeof DeadLetterQueue.inspect>>['stats'] | null> {
  const { existsSync } = await import('node:fs');
  return existsSync(dir) ? (await DeadLetterQueue.inspect(dir)).stats : null;
}

/** One run of the gate: counts both stores, reads both queues, records the check in the cutover state. */
async function checkGate(flags: GateFlags, neo: Neo4jGraphDatabase, client: EngramClient, maxGapMs: number): Promise<FinalGateResult> {
  const counts: SpaceCount[] = [];
  for (const space of flags.spaces) {
    const [n, ids, tombstones] = await Promise.all([neo.countMemories(space), engramIds(client, space), neo.listTombstones(space)]);
    counts.push({ space, neo4j: n, engram: ids.size, tombstonesInEngram: tombstones.filter((t) => ids.has(t.id)).length });
  }
  const [forwardDlq, reverseDlq] = [await queueStats(flags.dlqDir), await queueStats(flags.reverseDlqDir)];
  return withCutoverStore(flags, async (store) => {
    const now = Date.now();
    const evidence = { cutover: await store.read(), forwardDlq, reverseDlq, counts, shadowOverlap: flags.overlap ?? null, now };
    const first = finalGate(evidence, { minHours: flags.minHours });
    // the streak lives in the cutover state, so --min-hours counts from the first green check, whoever ran it
    const recorded = await recordGateCheck(store, first.ready, { minHours: flags.minHours, maxGapMs, now });
    return finalGate({ ...evidence, cutover: recorded, greenSince: recorded.gate?.greenSince ?? null }, { minHours: flags.minHours });
  });
}

function printGate(result: FinalGateResult, json: boolean): void {
  if (json) return printJson(result);
  out(
    formatTable(
      ['check', 'result', 'detail'],
      result.checks.map((c) => [c.name, c.pass === null ? (c.required ? 'NOT MEASURED' : '-') : c.pass ? 'pass' : 'FAIL', c.detail]),
    ),
  );
  out(
    result.pass
      ? 'final gate passed: engram-migrate decommission archive --out <dir> retires and archives Neo4j'
      : `final gate NOT passed: keep Neo4j (and the reverse dual write)${result.ready ? '; green now: run the gate again within --max-gap' : ''}`,
  );
}

async function gate(flags: GateFlags): Promise<void> {
  if (flags.spaces.length === 0) throw new ConfigError('--spaces', 'name the memory spaces to count');
  const maxGapMs = parseDuration(flags.maxGap, '--max-gap');
  const everyMs = flags.every === undefined ? null : parseDuration(flags.every, '--every');
  if (everyMs !== null && everyMs > maxGapMs)
    throw new ConfigError('--every', `${flags.every} is longer than --max-gap ${flags.maxGap}: the streak could never grow`);
  const config = configFromFlags(flags);
  const driver = neo4j.driver(config.source.uri, config.source.password ? neo4j.auth.basic(config.source.user, config.source.password) : undefined);
  const client = new EngramClient({ url: config.target.url, apiKey: config.target.apiKey, maxRetries: 2, timeoutMs: 30_000 });
  try {
    const neo = new Neo4jGraphDatabase({ driver, database: config.source.database, label: flags.neo4jLabel });
    for (;;) {
      const result = await checkGate(flags, neo, client, maxGapMs);
      printGate(result, Boolean(flags.json));
      process.exitCode = result.pass ? EXIT.OK : EXIT.VALIDATION_FAILED;
      if (result.pass || everyMs === null) return;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    await client.close();
    await driver.close();
  }
}

type ArchiveFlags = CutoverFlags & { out: string; neo4jLabel: string; force?: boolean; overwrite?: boolean; settle: string; pageSize: number };

function printArchive(a: ArchiveSummary, json: boolean): void {
  if (json) return printJson(a);
  out(
    formatTable(
      ['space', 'Neo4j nodes', 'archived memories'],
      Object.entries(a.neo4jCounts).map(([space, n]) => [space || '(none)', n, a.memories[space] ?? 0]),
    ),
  );
  out(`${a.edges} edges, ${a.tombstones} tombstones, ${a.rejects} rejects (rejects.ndjson); manifest sha256 ${a.manifestSha256}`);
}

/** Retires Neo4j (routers stop writing it), waits for in-flight writes, then writes and verifies the final bundle. */
async function archive(flags: ArchiveFlags): Promise<void> {
  const config = configFromFlags(flags);
  const settleMs = parseDuration(flags.settle, '--settle');
  const wasRetired = await withCutoverStore(flags, async (store) => {
    const before = await store.read();
    if (phaseOf(before) === 'retired') return true;
    if (flags.force && !(before?.gate?.passedAt && before.gate.lastReady))
      out('WARNING: --force: the final gate has not passed; Neo4j is retired and archived anyway');
    await retireNeo4j(store, { force: flags.force });
    return false;
  });
  if (!wasRetired) {
    out(`Neo4j retired: routers stop writing to it within a second; waiting ${flags.settle} for writes in flight`);
    await new Promise((r) => setTimeout(r, settleMs));
  }
  const driver = neo4j.driver(config.source.uri, config.source.password ? neo4j.auth.basic(config.source.user, config.source.password) : undefined);
  let summary: ArchiveSummary;
  try {
    summary = await archiveNeo4j({
      driver,
      database: config.source.database,
      label: flags.neo4jLabel,
      out: flags.out,
      pageSize: flags.pageSize,
      overwrite: flags.overwrite,
    });
  } finally {
    await driver.close();
  }
  const memories = Object.values(summary.memories).reduce((a, b) => a + b, 0);
  await withCutoverStore(flags, (store) =>
    recordArchive(store, {
      dir: flags.out,
      at: new Date().toISOString(),
      manifestSha256: summary.manifestSha256,
      memories,
      edges: summary.edges,
      tombstones: summary.tombstones,
    }),
  );
  printArchive(summary, Boolean(flags.json));
  out(`archived and verified in ${flags.out}. Phase 5 done: run the service without the reverse dual writer, then stop Neo4j.`);
}

const numberArg = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got ${JSON.stringify(value)}`);
  return n;
};

/** `engram-migrate decommission gate`: phase 5's final gate before Neo4j is archived. */
export function registerDecommission(program: Command): void {
  const decommission = program
    .command('decommission')
    .description('phase 5: the final gate, then retiring and archiving Neo4j (promote first: engram-migrate cutover promote)');
  addCutoverStoreOptions(
    decommission
      .command('gate')
      .description('the final gate: Engram promoted, both queues drained, counts equal up to the tombstones, all green for --min-hours; exit 7 when not passed')
      .requiredOption('--spaces <list>', 'memory spaces to count, comma-separated', (v: string) =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .option('--dlq-dir <dir>', "the dual writer's queue (writes for Engram)", '.runs/live/dlq')
      .option('--reverse-dlq-dir <dir>', "the reverse dual writer's queue (writes for Neo4j after the cutover)", '.runs/live/dlq-reverse')
      .option('--neo4j-label <label>', "label of the service's memory nodes", 'Memory')
      .option('--min-hours <n>', 'hours the checks must stay green (from the first green check, recorded in the cutover state)', numberArg, 72)
      .option('--max-gap <duration>', 'a check later than this after the previous one restarts the streak', '1h')
      .option('--every <duration>', 'check again at this interval until the gate passes (e.g. 15m; at most --max-gap)')
      .option('--overlap <fraction>', "the service's rolling shadow overlap, if known", numberArg)
      .option('--engram-url <url>', 'Engram HTTP URL [env ENGRAM_URL]')
      .option('--engram-api-key <key>', 'Engram API key [env ENGRAM_API_KEY]'),
  ).action(gate);
  addCutoverStoreOptions(
    decommission
      .command('archive')
      .description('after the final gate: retire Neo4j (no more writes to it), then write and verify its final bundle')
      .requiredOption('--out <dir>', 'archive directory (a bundle; must not hold memories yet)')
      .option('--neo4j-label <label>', "label of the service's memory nodes", 'Memory')
      .option('--settle <duration>', 'wait after retiring, for writes in flight', '10s')
      .option('--page-size <n>', 'nodes read per page', numberArg, 1000)
      .option('--overwrite', 'empty --out first (an archive a crash left half-written)')
      .option('--force', 'archive even though the final gate has not passed (prints a warning)'),
  ).action(archive);
  decommission
    .command('verify-archive')
    .description("check an archive: every file's sha256 and count, every memory line, the counts against Neo4j's")
    .argument('<dir>', 'archive directory')
    .option('--json', 'print JSON on stdout')
    .action(async (dir: string, flags: { json?: boolean }) => {
      printArchive(await verifyArchive(dir), Boolean(flags.json));
      out(`${dir}: verified`);
    });
}
