import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { percentArg } from './common-options.js';
import { ConfigError } from '../errors.js';
import { demoteCutover, promoteCutover } from '../live/cutover/cutover-phase.js';
import { DeadLetterQueue } from '../live/dlq/dead-letter-queue.js';
import { addCutoverStoreOptions, withCutoverStore, type CutoverFlags } from './cutover-store-options.js';
import { printState } from './live-commands.js';

type PhaseFlags = CutoverFlags & { reason?: string; force?: boolean };

/**
 * Refuses when the queue at `dir` still holds writes the other store has not got (switching the primary
 * then would let an older queued write land after a newer one); a missing directory is not checked.
 */
async function requireDrained(dir: string, flag: string, what: string, force: boolean | undefined): Promise<void> {
  if (force || !existsSync(dir)) return;
  const { stats } = await DeadLetterQueue.inspect(dir);
  if (stats.depth > 0 || stats.parked > 0)
    throw new ConfigError(
      flag,
      `${dir} still holds ${stats.depth} queued and ${stats.parked} parked writes for ${what}: let the service's replayer drain it (engram-migrate dlq status --dlq-dir ${dir}), or --force`,
    );
}

/** `engram-migrate cutover promote|demote`: Engram primary with the reverse dual write, and back. */
export function registerCutoverPhase(cutover: Command): void {
  addCutoverStoreOptions(
    cutover
      .command('promote')
      .description('after 100%: Engram becomes the primary for reads and writes; the reverse dual writer keeps Neo4j current (routers switch within a second)')
      .option('--dlq-dir <dir>', "the forward dual writer's queue: must be drained (writes for Engram)", '.runs/live/dlq')
      .option('--reason <text>', 'why (kept in the state)')
      .option('--force', 'promote below 100% or with writes for Engram still queued'),
  ).action(async (flags: PhaseFlags & { dlqDir: string }) => {
    await requireDrained(flags.dlqDir, '--dlq-dir', 'Engram', flags.force);
    await withCutoverStore(flags, async (store) =>
      printState(await promoteCutover(store, { reason: flags.reason ?? null, force: flags.force }), store.description, Boolean(flags.json)),
    );
  });
  addCutoverStoreOptions(
    cutover
      .command('demote')
      .description('the lever after promote: Neo4j is the primary again, reads at --percent (default 0); refused once Neo4j is retired')
      .option('--percent <n>', 'share of reads left on Engram, 0-100', percentArg, 0)
      .option('--reverse-dlq-dir <dir>', "the reverse dual writer's queue: must be drained (writes for Neo4j)", '.runs/live/dlq-reverse')
      .option('--reason <text>', 'why (kept in the state)')
      .option('--force', 'demote with writes for Neo4j still queued, or after Neo4j was retired'),
  ).action(async (flags: PhaseFlags & { percent: number; reverseDlqDir: string }) => {
    await requireDrained(flags.reverseDlqDir, '--reverse-dlq-dir', 'Neo4j', flags.force);
    await withCutoverStore(flags, async (store) =>
      printState(
        await demoteCutover(store, { percent: flags.percent, reason: flags.reason ?? null, force: flags.force }),
        store.description,
        Boolean(flags.json),
      ),
    );
  });
}
