import { existsSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import neo4j from 'neo4j-driver';
import { ConfigError } from '../errors.js';
import { createLiveNeo4jDriver } from '../live/adapters/bolt-no-delay.js';
import { DeadLetterQueue } from '../live/dlq/dead-letter-queue.js';
import { readDlqLock } from '../live/dlq/dlq-lock.js';
import { DlqReplayer } from '../live/dlq/dlq-replayer.js';
import { EngramGraphDatabase } from '../live/adapters/engram-graph-database.js';
import { Neo4jGraphDatabase } from '../live/adapters/neo4j-graph-database.js';
import { beginCutoverSchedule, DEFAULT_CUTOVER_STEPS, parseCutoverSteps, parseDuration, setCutoverPercent } from '../live/cutover/cutover-schedule.js';
import type { CutoverState } from '../live/cutover/cutover-state.js';
import { Neo4jCutoverStore } from '../live/cutover/neo4j-cutover-store.js';
import { migrationStatus } from '../live/status/migration-status.js';
import { engramTls } from '../target/create-target.js';
import { configFromFlags, integerArg, percentArg, positiveIntegerArg } from './common-options.js';
import { EXIT } from './exit-codes.js';
import { formatTable, printJson } from './output.js';
import { registerChecklist } from './checklist-command.js';
import { registerDecommission } from './decommission-command.js';
import { registerCutoverPhase } from './cutover-phase-commands.js';
import { addCutoverStoreOptions, withCutoverStore, type CutoverFlags } from './cutover-store-options.js';

const DEFAULT_DLQ = '.runs/live/dlq';

function fractionArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`expected a fraction from 0 to 1 (0.01 = 1%), got ${JSON.stringify(value)}`);
  return n;
}

const out = (line: string): void => void process.stderr.write(line + '\n');

/** Flags naming the stores for `dlq replay` (the same names and environment variables as the other commands). */
function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (JSON or YAML); flags and environment variables override it')
    .option('--neo4j-uri <uri>', 'Neo4j Bolt URI [env NEO4J_URI]')
    .option('--neo4j-user <user>', 'Neo4j user [env NEO4J_USER]')
    .option('--neo4j-password <password>', 'Neo4j password [env NEO4J_PASSWORD]; visible to ps: prefer the environment or --neo4j-password-file')
    .option('--neo4j-password-file <file>', 'file holding the Neo4j password [env NEO4J_PASSWORD_FILE]')
    .option('--database <name>', 'Neo4j database [env NEO4J_DATABASE]')
    .option('--neo4j-label <label>', "label of the service's memory nodes in Neo4j (default Memory)", 'Memory')
    .option('--engram-url <url>', 'Engram HTTP URL [env ENGRAM_URL]')
    .option('--engram-api-key <key>', 'Engram API key [env ENGRAM_API_KEY]; visible to ps: prefer the environment or --engram-api-key-file')
    .option('--engram-api-key-file <file>', 'file holding the Engram API key [env ENGRAM_API_KEY_FILE]');
}

async function dlqStatus(flags: { dlqDir: string; list: number; state?: string; json?: boolean }): Promise<void> {
  const view = await DeadLetterQueue.inspect(flags.dlqDir);
  const holder = await readDlqLock(flags.dlqDir);
  const entries = view.list(flags.state as never, flags.list);
  if (flags.json) return printJson({ dir: flags.dlqDir, heldBy: holder, stats: view.stats, entries });
  out(`dead-letter queue ${flags.dlqDir}${holder ? ` (held by pid ${holder.pid} since ${holder.since})` : ' (no process holds it)'}`);
  const s = view.stats;
  out(
    `depth ${s.depth}: ${s.queued} queued (${s.rechecks} to read back once more), ${s.inDoubt} in doubt, ${s.inFlight} in flight; ${s.parked} parked; oldest ${s.oldestQueuedAt ?? '-'}; journal ${(s.journalBytes / 1e6).toFixed(1)} MB`,
  );
  if (entries.length > 0) {
    out(
      formatTable(
        ['seq', 'state', 'kind', 'key', 'space', 'attempts', 'next attempt', 'last error / reason'],
        entries.map((e) => [
          e.seq,
          e.state,
          e.kind,
          e.key,
          e.space ?? '-',
          e.attempts,
          e.nextAttemptAt ?? '-',
          (e.recheck ? 'recheck: an abandoned write of this key may still land before then' : (e.reason ?? e.lastError ?? '')).slice(0, 80),
        ]),
      ),
    );
  }
}

async function dlqReplay(flags: Record<string, unknown>): Promise<void> {
  const config = configFromFlags(flags);
  const dlq = await DeadLetterQueue.open(flags.dlqDir as string).catch((err: unknown) => {
    if ((err as { details?: { pid?: number } }).details?.pid !== undefined) {
      throw new ConfigError('--dlq-dir', `${(err as Error).message}; that service replays its queue itself (every 10 s); stop it to replay by hand`);
    }
    throw err;
  });
  const auth = config.source.password ? neo4j.auth.basic(config.source.user, config.source.password) : undefined;
  const driver = createLiveNeo4jDriver(config.source.uri, auth);
  const neo = new Neo4jGraphDatabase({ driver, database: config.source.database, label: flags.neo4jLabel as string });
  const engram = new EngramGraphDatabase({
    client: { url: config.target.url, apiKey: config.target.apiKey, maxRetries: 2, timeoutMs: 10_000, tls: engramTls(config.target) },
  });
  const toEngram = flags.to !== 'neo4j';
  try {
    const unparked = flags.parked ? dlq.unpark() : 0;
    const before = dlq.stats();
    const replayer = new DlqReplayer({
      dlq,
      secondary: toEngram ? engram : neo,
      primary: toEngram ? neo : engram,
      concurrency: flags.concurrency as number,
      ratePerSecond: flags.rate as number,
      onRound: (r) => out(`round: ${JSON.stringify(r)}`),
    });
    const t0 = performance.now();
    const remaining = await replayer.drain(parseDuration(flags.timeout as string, '--timeout'));
    const after = dlq.stats();
    const result = {
      to: toEngram ? 'engram' : 'neo4j',
      unparked,
      before: before.depth,
      remaining,
      parked: after.parked,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
    if (flags.json) printJson(result);
    else
      out(
        `replayed to ${result.to}: depth ${before.depth} → ${remaining} in ${result.seconds} s; ${after.parked} parked${unparked ? ` (${unparked} unparked first)` : ''}`,
      );
    process.exitCode = remaining === 0 && after.parked === 0 ? EXIT.OK : EXIT.TARGET;
  } finally {
    await dlq.close();
    await engram.close();
    await driver.close();
  }
}

async function dlqPurge(flags: { dlqDir: string; parked?: boolean; all?: boolean; yes?: boolean }): Promise<void> {
  if (Boolean(flags.parked) === Boolean(flags.all)) throw new ConfigError('--parked/--all', 'give exactly one of --parked or --all');
  if (flags.all && !flags.yes) throw new ConfigError('--yes', '--all drops writes the secondary never got; add --yes if that is what you want');
  const dlq = await DeadLetterQueue.open(flags.dlqDir);
  try {
    const purged = await dlq.purge(flags.all ? 'all' : 'parked');
    out(`purged ${purged} ${flags.all ? '' : 'parked '}entries from ${flags.dlqDir}`);
  } finally {
    await dlq.close();
  }
}

/** `engram-migrate dlq status|replay|purge`. */
export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description("the live dual writer's durable dead-letter queue (writes the secondary store has not got yet)");
  dlq
    .command('status')
    .description('depth, in-doubt, parked and the oldest entries (reads the journal; safe while the service runs)')
    .option('--dlq-dir <dir>', 'queue directory', DEFAULT_DLQ)
    .option('--list <n>', 'entries to list', integerArg, 20)
    .addOption(new Option('--state <state>', 'list only entries in this state').choices(['intent', 'pending', 'parked']))
    .option('--json', 'print JSON on stdout')
    .action(dlqStatus);
  addStoreOptions(
    dlq
      .command('replay')
      .description('replay the queue to the secondary now and wait until it is empty (the service must be stopped; it replays by itself)')
      .option('--dlq-dir <dir>', 'queue directory', DEFAULT_DLQ)
      .addOption(new Option('--to <store>', 'the secondary the queue holds writes for').choices(['engram', 'neo4j']).default('engram'))
      .option('--parked', 'put parked entries back first (after fixing their cause)')
      .option('--concurrency <n>', 'writes in flight, 1-1024 (0 would never replay anything)', positiveIntegerArg(1024), 16)
      .option('--rate <n>', 'replays per second at most (0 = no limit)', integerArg, 0)
      .option('--timeout <duration>', 'give up after this long, e.g. 2m', '2m')
      .option('--json', 'print JSON on stdout'),
  ).action(dlqReplay);
  dlq
    .command('purge')
    .description('drop parked entries (--parked), or every entry (--all --yes)')
    .option('--dlq-dir <dir>', 'queue directory', DEFAULT_DLQ)
    .option('--parked', 'drop the parked (poison) entries')
    .option('--all', 'drop every entry not in flight')
    .option('--yes', 'confirm --all')
    .action(dlqPurge);
}

export function printState(state: CutoverState | null, where: string, json: boolean): void {
  if (json) return printJson({ store: where, state });
  if (state === null) return out(`no cutover state in ${where}: routers start at their configured share (0% by default)`);
  out(
    `cutover ${state.percent}% of reads to the new store (revision ${state.revision}, ${state.source} at ${state.updatedAt}${state.reason ? `: ${state.reason}` : ''}) [${where}]`,
  );
  if ((state.phase ?? 'cutover') !== 'cutover')
    out(`phase ${state.phase} since ${state.phaseSince ?? '-'}${state.archive ? `; archived to ${state.archive.dir}` : ''}`);
  const s = state.schedule;
  if (s === null) return;
  out(`schedule ${s.status}, step ${s.step + 1}/${s.steps.length} since ${s.stepStartedAt}; rolls back above ${(s.maxErrorRate * 100).toFixed(2)}% errors`);
  out(
    formatTable(
      ['step', 'percent', 'duration'],
      s.steps.map((x, i) => [`${i + 1}${i === s.step ? ' <' : ''}`, `${x.percent}%`, x.durationMs === 0 ? 'for good' : `${x.durationMs / 3_600_000} h`]),
    ),
  );
  if (s.lastCheck) out(`last check ${s.lastCheck.at}: ${s.lastCheck.errors}/${s.lastCheck.requests} errors (${(s.lastCheck.errorRate * 100).toFixed(3)}%)`);
}

/** `engram-migrate cutover status|set|start`. */
export function registerCutover(program: Command): void {
  const cutover = program
    .command('cutover')
    .description('the gradual cutover lever read by running CutoverRouters (a node in the primary Neo4j, or a state file)');
  addCutoverStoreOptions(cutover.command('status').description('the share of reads on the new store, who set it, and the schedule')).action(
    async (flags: CutoverFlags) => withCutoverStore(flags, async (store) => printState(await store.read(), store.description, Boolean(flags.json))),
  );
  addCutoverStoreOptions(
    cutover
      .command('set')
      .description('set the share at once (0 = instant rollback); stops a running schedule; routers apply it within a second')
      .argument('<percent>', 'share of reads for the new store, 0-100', percentArg)
      .option('--reason <text>', 'why (kept in the state and shown by status)'),
  ).action(async (percent: number, flags: CutoverFlags & { reason?: string }) =>
    withCutoverStore(flags, async (store) => printState(await setCutoverPercent(store, percent, flags.reason ?? null), store.description, Boolean(flags.json))),
  );
  const defaults = DEFAULT_CUTOVER_STEPS.map((s) => (s.durationMs === 0 ? `${s.percent}` : `${s.percent}:${s.durationMs / 3_600_000}h`)).join(',');
  addCutoverStoreOptions(
    cutover
      .command('start')
      .description("start a schedule; the service's CutoverScheduleRunner advances it and rolls back to 0% above the error limit")
      .option('--steps <list>', `percent:duration steps, the last one for good (default ${defaults})`, defaults)
      .option('--max-error-rate <fraction>', 'roll back above this error rate of the new store (default 0.01)', fractionArg, 0.01),
  ).action(async (flags: CutoverFlags & { steps: string; maxErrorRate: number }) =>
    withCutoverStore(flags, async (store) =>
      printState(await beginCutoverSchedule(store, parseCutoverSteps(flags.steps), flags.maxErrorRate), store.description, Boolean(flags.json)),
    ),
  );
  registerCutoverPhase(cutover);
}

async function migrationStatusCommand(flags: CutoverFlags & { dlqDir: string; reverseDlqDir: string; neo4jLabel: string }): Promise<void> {
  const dlq = await DeadLetterQueue.inspect(flags.dlqDir).catch(() => null);
  const reverseDlq = existsSync(flags.reverseDlqDir) ? await DeadLetterQueue.inspect(flags.reverseDlqDir).catch(() => null) : null;
  const exists = dlq !== null && (dlq.stats.entries > 0 || dlq.stats.journalBytes > 0 || existsSync(flags.dlqDir));
  const holder = exists ? await readDlqLock(flags.dlqDir) : null;
  const seen = await withCutoverStore(flags, async (store) => {
    const cutover = await store.read().then(
      (state) => ({ state, error: null }),
      (err: unknown) => ({ state: null, error: err instanceof Error ? err.message : String(err) }),
    );
    let tombstones: number | null = null;
    if (store instanceof Neo4jCutoverStore && cutover.error === null) {
      const config = configFromFlags(flags);
      const driver = neo4j.driver(config.source.uri, config.source.password ? neo4j.auth.basic(config.source.user, config.source.password) : undefined);
      tombstones = await new Neo4jGraphDatabase({ driver, database: config.source.database, label: flags.neo4jLabel }).listTombstones().then(
        (t) => t.length,
        () => null,
      );
      await driver.close();
    }
    return { cutover, tombstones };
  }).catch((err: unknown) => ({ cutover: { state: null, error: err instanceof Error ? err.message : String(err) }, tombstones: null }));
  const status = migrationStatus({
    dlq: exists ? dlq!.stats : null,
    dlqHeld: holder !== null,
    cutover: seen.cutover.state,
    cutoverError: seen.cutover.error,
    tombstones: seen.tombstones,
    reverseDlq: reverseDlq?.stats ?? null,
  });
  if (flags.json) return printJson(status);
  out(`migration at phase ${status.current} of 5${status.current > 0 ? ` (${status.phases[status.current - 1]!.name})` : ''}`);
  out(
    formatTable(
      ['phase', 'state', 'detail'],
      status.phases.map((p) => [`${p.phase} ${p.name}`, p.state, p.detail]),
    ),
  );
  out(`next: ${status.next}`);
}

/** `engram-migrate status`: where the migration stands among the five phases. */
export function registerStatus(program: Command): void {
  addCutoverStoreOptions(
    program
      .command('status')
      .description('where the migration stands among the five phases (dual write, backfill, shadow reads, cutover, decommission)')
      .option('--dlq-dir <dir>', "the dual writer's queue directory", DEFAULT_DLQ)
      .option('--reverse-dlq-dir <dir>', "the reverse dual writer's queue directory (writes for Neo4j once Engram is promoted)", `${DEFAULT_DLQ}-reverse`)
      .option('--neo4j-label <label>', "label of the service's memory nodes (for the tombstone count)", 'Memory'),
  ).action(migrationStatusCommand);
}

/** Every live-migration command: `dlq`, `cutover`, `status`, `checklist`. */
export function registerLive(program: Command): void {
  registerDlq(program);
  registerCutover(program);
  registerStatus(program);
  registerDecommission(program);
  registerChecklist(program);
}
