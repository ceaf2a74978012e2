import type { Command } from 'commander';
import { watchControl, writeControl } from '../engine/control-file.js';
import { loadBundle } from '../engine/load-bundle.js';
import { addConnectionOptions, addWriteOptions, configFromFlags, integerArg, numberArg } from './common-options.js';
import { EXIT, EXIT_HELP, exitCodeFor } from './exit-codes.js';
import { formatTable, printJson, withInterrupt } from './output.js';
import { ProgressReporter } from './progress-reporter.js';
import { MigrateError } from '../errors.js';
import { WriteLimiter } from '../engine/write-limiter.js';

export function registerLoad(program: Command): void {
  const cmd = program
    .command('load <bundle>')
    .description('replay a bundle written by "backfill" into Engram, with the same limiter, retries and checkpoints')
    .option('--resume', 'continue an interrupted load recorded in --run-dir');
  addWriteOptions(addConnectionOptions(cmd));
  cmd.addHelpText('after', `\nThe Engram URL comes from --engram-url (or ENGRAM_URL); --target is implied.\n\n${EXIT_HELP}`);
  cmd.action(async (bundle: string, flags: Record<string, unknown>) => {
    const config = configFromFlags({ runDir: '.runs/load', ...flags }, { target: { kind: 'engram' } });
    const reporter = new ProgressReporter({ quiet: Boolean(flags.quiet) });
    const limiter = new WriteLimiter({ rate: config.engine.rate, concurrency: config.target.concurrency });
    const stopWatching = watchControl(config.runDir, limiter, (m) => reporter.log(m));
    const summary = await withInterrupt(
      (signal) =>
        loadBundle({ bundleDir: bundle, config, resume: Boolean(flags.resume), signal, limiter, onProgress: (d, t) => reporter.update('load', d, t) }),
      () => reporter.log('interrupt: finishing the batch in flight (Ctrl-C again to quit at once)'),
    ).finally(() => {
      stopWatching();
      reporter.stop();
    });
    if (flags.json) printJson(summary);
    else {
      const out = (l: string): boolean => process.stderr.write(l + '\n');
      out(`load ${summary.status} in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.memoriesPerSecond}/s) into ${summary.target}`);
      out(
        formatTable(
          ['space', 'memories', 'loaded', 'rejected'],
          Object.entries(summary.spaces).map(([s, v]) => [s, v.memories, v.loaded, v.rejected]),
        ),
      );
      out(`edges not loaded (Engram has no edge API): ${summary.edgesNotLoaded}; they stay in the bundle's edges.ndjson`);
      if (summary.rejected > 0) out(`reject log: ${summary.rejectLog}`);
      if (summary.error)
        out(`error ${summary.error.code}: ${summary.error.message}\nresume with: engram-migrate load ${bundle} --resume --run-dir ${config.runDir}`);
    }
    if (summary.error) process.exitCode = exitCodeFor(new MigrateError(summary.error.code as never, summary.error.message));
    else process.exitCode = summary.status === 'aborted' ? EXIT.INTERRUPTED : summary.rejected > 0 ? EXIT.REJECTS : EXIT.OK;
  });
}

export function registerThrottle(program: Command): void {
  program
    .command('throttle')
    .description('change the write rate or concurrency of a running backfill or load (applied within a second)')
    .requiredOption('--run-dir <dir>', 'the run directory of the running command')
    .option('--rate <n>', 'records per second, 0 = unlimited', numberArg)
    .option('--concurrency <n>', 'concurrent requests to Engram', integerArg)
    .action(async (flags: { runDir: string; rate?: number; concurrency?: number }) => {
      if (flags.rate === undefined && flags.concurrency === undefined) throw new MigrateError('CONFIG_INVALID', 'give --rate and/or --concurrency');
      await writeControl(flags.runDir, {
        ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
        ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
      });
      process.stderr.write(`wrote ${flags.runDir}/control.json\n`);
    });
}
