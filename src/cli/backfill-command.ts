import { type Command, Option } from 'commander';
import { backfill } from '../engine/backfill.js';
import type { BackfillSummary } from '../engine/backfill-types.js';
import { watchControl } from '../engine/control-file.js';
import { WriteLimiter } from '../engine/write-limiter.js';
import { MigrateError } from '../errors.js';
import { describeKey } from '../mapping/node-mapper.js';
import { addConnectionOptions, addWriteOptions, configFromFlags, integerArg } from './common-options.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import { formatTable, printJson, withInterrupt } from './output.js';
import { ProgressReporter } from './progress-reporter.js';
import { createBackfillValidator } from '../validate/backfill-validator.js';
import { formatDedupSummary } from '../dedup/dedup-report.js';

export function exitCodeForSummary(summary: BackfillSummary): number {
  if (summary.status === 'aborted') return EXIT.INTERRUPTED;
  if (summary.status === 'failed') {
    const code = summary.error?.code ?? 'INTERNAL';
    return code === 'INTERNAL'
      ? EXIT.INTERNAL
      : ((
          {
            CONFIG_INVALID: EXIT.USAGE,
            SOURCE_UNAVAILABLE: EXIT.SOURCE,
            SOURCE_QUERY_FAILED: EXIT.SOURCE,
            CAPACITY_EXCEEDED: EXIT.CAPACITY,
            CHECKPOINT_INVALID: EXIT.CHECKPOINT,
            BUNDLE_NOT_EMPTY: EXIT.CHECKPOINT,
            RUN_LOCKED: EXIT.CHECKPOINT,
            DEDUP_PREDICTED: EXIT.DEDUP,
          } as Record<string, number>
        )[code] ?? EXIT.TARGET);
  }
  return summary.counters.nodesRejected + summary.counters.relationshipsRejected > 0 ? EXIT.REJECTS : EXIT.OK;
}

export function printBackfillSummary(s: BackfillSummary, write: (line: string) => void): void {
  const c = s.counters;
  write(
    `backfill ${s.status}${s.resumed ? ' (resumed)' : ''} in ${(s.durationMs / 1000).toFixed(1)} s, ${s.nodesPerSecond} nodes/s, target ${s.target.kind} ${s.target.location}`,
  );
  write(
    formatTable(
      ['', 'read', s.status === 'dry-run' ? 'would write' : 'written', 'rejected'],
      [
        ['nodes', c.nodesRead, c.memoriesWritten, c.nodesRejected],
        ['relationships', c.relationshipsRead, c.edgesWritten, c.relationshipsRejected],
      ],
    ),
  );
  write(
    `embeddings: ${c.embeddingsCopied} copied, ${s.status === 'dry-run' ? `${s.embeddingsToGenerate} to generate` : `${c.embeddingsGenerated} generated`}${c.embeddingsRegeneratedWrongWidth ? ` (${c.embeddingsRegeneratedWrongWidth} replacing a stored embedding of another width)` : ''}`,
  );
  if (c.liveRaced)
    write(
      `live races: ${c.liveRaced} nodes were written by the live side after the backfill read them; ${c.liveRewritten ?? 0} rewrites at their current version landed`,
    );
  if (s.pool?.busyShare != null)
    write(
      `worker pool: ${s.pool.workers} threads busy ${(s.pool.busyShare * 100).toFixed(0)}% of the ${s.pool.activeSeconds.toFixed(1)} s it had tasks queued or running`,
    );
  if (s.plan.labels.length > 0) {
    write(
      formatTable(
        ['label', 'space', 'shards', 'nodes', 'relationships', 'key', 'duplicates', 'no timestamp'],
        s.plan.labels.map((l) => [
          l.label,
          l.space,
          l.shards > 1 ? `${l.shards} (${l.space}-0 … ${l.space}-${l.shards - 1})` : '-',
          l.nodes,
          l.relationships,
          describeKey(l.key),
          l.duplicates,
          l.missingTimestamp,
        ]),
      ),
    );
    for (const l of s.plan.labels) write(`  ${l.label}: key ${describeKey(l.key)} from ${l.key.reason}; generated embeddings from ${l.embeddingText}`);
  }
  if (s.plan.spaces.length > 0) {
    write(
      formatTable(
        ['space', 'labels', 'planned', 'already there', 'capacity'],
        s.plan.spaces.map((p) => [p.space, p.labels.join(','), p.planned, p.existing, p.capacity ?? '-']),
      ),
    );
  }
  for (const [code, n] of Object.entries(s.rejectsByCode)) write(`rejected ${n} × ${code}`);
  for (const r of s.rejectSample.slice(0, 5)) write(`  e.g. ${r.kind} ${r.id ?? r.elementId} (${r.label ?? ''}) field ${r.field ?? '-'}: ${r.reason}`);
  if (s.status !== 'dry-run' && (c.nodesRejected > 0 || c.relationshipsRejected > 0)) write(`reject log: ${s.files.rejects}`);
  if (s.preflight) for (const line of formatDedupSummary('dedup preflight', s.preflight)) write(line);
  if (s.dedup) for (const line of formatDedupSummary(s.status === 'dry-run' ? 'dedup preflight' : 'dedup', s.dedup)) write(line);
  for (const w of s.warnings) write(`warning: ${w}`);
  if (!s.accounted) write('ERROR: records read ≠ written + rejected: something is unaccounted for');
  if (s.error) write(`error ${s.error.code}: ${s.error.message}`);
  if (s.status === 'aborted' || s.status === 'failed') write(`resume with: engram-migrate backfill --resume --run-dir ${s.runDir} (and the same options)`);
}

export function registerBackfill(program: Command): void {
  const cmd = program
    .command('backfill')
    .description('stream every node and relationship from Neo4j into the target (bundle or Engram), resumably')
    .option('--dry-run', 'read and map everything, write nothing, report what would be written')
    .option('--resume', 'continue the run recorded in --run-dir after a crash or Ctrl-C')
    .option('--overwrite', 'start over even if --run-dir or the bundle holds a run (the bundle is emptied)')
    .option('--append', 'add these labels to a bundle that already holds others (the manifest covers all)')
    .option('--validate-every <n>', 'validate a sample after every n memories written (see "validate")', integerArg)
    .option(
      '--live-stamp-property <name>',
      'property the live dual writer stamps on each node it writes; nodes written live after the backfill read them are rewritten at their current version (Engram target); none = no check (default _live_written_at)',
    )
    .option(
      '--preflight',
      'before writing, read every embedding once and report the memories the target would drop as near-duplicates (on by default with --dry-run)',
    )
    .option('--no-preflight', 'no dedup preflight in a dry run')
    .addOption(
      new Option(
        '--on-dedup <mode>',
        'writes the target would drop as near-duplicates: record them in <run-dir>/dedup-map.jsonl, refuse (exit 9), or off (default: record for --target engram, off for a bundle)',
      ).choices(['record', 'refuse', 'off']),
    );
  addWriteOptions(addConnectionOptions(cmd));
  cmd.addHelpText(
    'after',
    `\nChange the write rate of a running backfill: engram-migrate throttle --run-dir DIR --rate N\n(or edit DIR/control.json and send SIGUSR2).\n\n${EXIT_HELP}`,
  );
  cmd.action(async (flags: Record<string, unknown>) => {
    const config = configFromFlags(flags);
    const reporter = new ProgressReporter({ quiet: Boolean(flags.quiet) });
    const limiter = new WriteLimiter({ rate: config.engine.rate, concurrency: 0 });
    const stopWatching = watchControl(config.runDir, limiter, (m) => reporter.log(m));
    // --validate-every: check a sample of each window of N written memories (see BackfillValidator).
    const validator =
      flags.validateEvery && !flags.dryRun ? createBackfillValidator(config, flags.validateEvery as number, (line) => reporter.log(line)) : null;
    let summary: BackfillSummary;
    try {
      summary = await withInterrupt(
        (signal) =>
          backfill({
            config,
            limiter,
            signal,
            resume: Boolean(flags.resume),
            dryRun: Boolean(flags.dryRun),
            ...(flags.preflight !== undefined ? { preflight: Boolean(flags.preflight) } : {}),
            overwrite: Boolean(flags.overwrite),
            append: Boolean(flags.append),
            ...(validator ? { onBatchCommitted: (batch) => validator.onBatch(batch) } : {}),
            onProgress: (e) => {
              if (e.phase === 'nodes' || e.phase === 'edges')
                reporter.update(e.phase, e.done, e.total, `rejected ${e.phase === 'nodes' ? e.counters.nodesRejected : e.counters.relationshipsRejected}`);
            },
          }),
        () => reporter.log('interrupt: finishing the batch in flight and saving the checkpoint (Ctrl-C again to quit at once)'),
      );
    } finally {
      await validator?.finish();
      stopWatching();
      reporter.stop();
    }
    if (flags.json) printJson(summary);
    else printBackfillSummary(summary, (line) => process.stderr.write(line + '\n'));
    if (summary.status === 'failed' && summary.error?.code === 'INTERNAL') throw new MigrateError('INTERNAL', summary.error.message);
    process.exitCode = exitCodeForSummary(summary);
    if (summary.status === 'completed' && validator?.reports.some((r) => !r.passed)) process.exitCode = EXIT.VALIDATION_FAILED;
  });
}
