import { InvalidArgumentError, type Command } from 'commander';
import neo4j from 'neo4j-driver';
import { ConfigError } from '../errors.js';
import { EngramClient } from '../target/engram-client.js';
import { Neo4jGraphDatabase } from '../live/adapters/neo4j-graph-database.js';
import { DeadLetterQueue } from '../live/dlq/dead-letter-queue.js';
import { finalGate, type SpaceCount } from '../live/status/final-gate.js';
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

async function gate(flags: GateFlags): Promise<void> {
  if (flags.spaces.length === 0) throw new ConfigError('--spaces', 'name the memory spaces to count');
  const config = configFromFlags(flags);
  const driver = neo4j.driver(config.source.uri, config.source.password ? neo4j.auth.basic(config.source.user, config.source.password) : undefined);
  const client = new EngramClient({ url: config.target.url, apiKey: config.target.apiKey, maxRetries: 2, timeoutMs: 30_000 });
  try {
    const neo = new Neo4jGraphDatabase({ driver, database: config.source.database, label: flags.neo4jLabel });
    const counts: SpaceCount[] = [];
    for (const space of flags.spaces) {
      const [n, ids, tombstones] = await Promise.all([neo.countMemories(space), engramIds(client, space), neo.listTombstones(space)]);
      counts.push({ space, neo4j: n, engram: ids.size, tombstonesInEngram: tombstones.filter((t) => ids.has(t.id)).length });
    }
    const cutover = await withCutoverStore(flags, (store) => store.read());
    const result = finalGate(
      {
        cutover,
        forwardDlq: await queueStats(flags.dlqDir),
        reverseDlq: await queueStats(flags.reverseDlqDir),
        counts,
        shadowOverlap: flags.overlap ?? null,
        now: Date.now(),
      },
      { minHoursAtFull: flags.minHours },
    );
    process.exitCode = result.pass ? EXIT.OK : EXIT.VALIDATION_FAILED;
    if (flags.json) return printJson(result);
    out(
      formatTable(
        ['check', 'result', 'detail'],
        result.checks.map((c) => [c.name, c.pass === null ? (c.required ? 'NOT MEASURED' : '-') : c.pass ? 'pass' : 'FAIL', c.detail]),
      ),
    );
    out(result.pass ? 'final gate passed: Neo4j may be archived' : 'final gate NOT passed: keep Neo4j (and the reverse dual write)');
  } finally {
    await client.close();
    await driver.close();
  }
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
    .description('phase 5: checks before Neo4j is retired (reverse dual write and archive are the service’s and the operator’s)');
  addCutoverStoreOptions(
    decommission
      .command('gate')
      .description('the final gate: 100% on Engram long enough, both queues drained, counts equal up to the tombstones; exit 7 when not passed')
      .requiredOption('--spaces <list>', 'memory spaces to count, comma-separated', (v: string) =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .option('--dlq-dir <dir>', "the dual writer's queue (writes for Engram)", '.runs/live/dlq')
      .option('--reverse-dlq-dir <dir>', "the reverse dual writer's queue (writes for Neo4j after the cutover)", '.runs/live/dlq-reverse')
      .option('--neo4j-label <label>', "label of the service's memory nodes", 'Memory')
      .option('--min-hours <n>', 'hours at 100% before Neo4j may go', numberArg, 72)
      .option('--overlap <fraction>', "the service's rolling shadow overlap, if known", numberArg)
      .option('--engram-url <url>', 'Engram HTTP URL [env ENGRAM_URL]')
      .option('--engram-api-key <key>', 'Engram API key [env ENGRAM_API_KEY]'),
  ).action(gate);
}
