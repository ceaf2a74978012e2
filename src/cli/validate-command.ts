import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../errors.js';
import { storeReport } from '../validate/report-store.js';
import { formatReport } from '../validate/report-format.js';
import { parseDuration } from '../validate/duration.js';
import { validate, type ValidateOptions } from '../validate/validate.js';
import { validateLoop } from '../validate/validate-loop.js';
import type { ValidationReport } from '../validate/validation-report.js';
import { addConnectionOptions, configFromFlags, integerArg, numberArg } from './common-options.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import { formatTable, printJson, withInterrupt } from './output.js';

function rateArg(value: string): number {
  const n = numberArg(value);
  if (n > 1) throw new InvalidArgumentError(`expected a fraction between 0 and 1 (0.01 = 1%), got ${JSON.stringify(value)}`);
  return n;
}

function cosineArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < -1 || n > 1)
    throw new InvalidArgumentError(`expected a cosine between -1 and 1, got ${JSON.stringify(value)}`);
  return n;
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function print(report: ValidationReport, flags: Record<string, unknown>, where: string, compact: boolean): void {
  if (flags.json) {
    if (compact) process.stdout.write(JSON.stringify(report) + '\n');
    else printJson(report);
    return;
  }
  for (const line of formatReport(report, formatTable)) process.stderr.write(line + '\n');
  process.stderr.write(`report: ${where}\n`);
}

/** `engram-migrate validate`: one sweep, or a sweep every `--every` until Ctrl-C (or `--times`). */
export function registerValidate(program: Command): void {
  const cmd = program
    .command('validate')
    .description('check a uniform sample of Neo4j nodes against the target: presence, embedding cosine, content, edge counts, space counts')
    .option('--sample <n>', 'nodes to sample (default 1000)', integerArg)
    .option('--sample-rate <fraction>', 'sample this share of the nodes instead, e.g. 0.01', rateArg)
    .option('--seed <n>', 'seed of the sample (default 1); the same seed and graph give the same sample', integerArg)
    .option('--every <duration>', 'run continuously, one sweep every 30s / 10m / 1h ..., until Ctrl-C')
    .option('--times <n>', 'with --every: stop after n sweeps', integerArg)
    .option('--rejects <file>', "the backfill's reject log (default <run-dir>/rejects.ndjson)")
    .option('--max-missing-rate <fraction>', 'fail above this share of missing memories (default 0)', rateArg)
    .option('--max-embedding-mismatch-rate <fraction>', 'fail above this share of embedding mismatches (default 0.0001)', rateArg)
    .option('--max-edge-mismatch-rate <fraction>', 'fail above this share of edge-count mismatches (default 0.001)', rateArg)
    .option('--max-content-mismatch-rate <fraction>', 'fail above this share of content mismatches (default 0)', rateArg)
    .option('--max-rejected-rate <fraction>', 'fail above this share of nodes (or relationships) the backfill rejected (default 0)', rateArg)
    .option('--max-count-diff-rate <fraction>', 'fail when a space count differs from Neo4j minus rejects by more than this share (default 0)', rateArg)
    .option('--min-cosine <c>', 'an embedding matches at or above this cosine (default 0.99)', cosineArg)
    .option('--workers <n>', 'worker threads for cosine and embedding, 0 = one per core (default 0)', integerArg);
  addConnectionOptions(cmd);
  cmd.addHelpText('after', `\nReports go to <run-dir>/validate/report-<time>.json and latest.json; history.ndjson lists every sweep.\n\n${EXIT_HELP}`);
  cmd.action(async (flags: Record<string, unknown>) => {
    const n = flags as Record<string, number | undefined>;
    const fromConfig = defined({
      maxMissingRate: n.maxMissingRate,
      maxEmbeddingMismatchRate: n.maxEmbeddingMismatchRate,
      maxEdgeMismatchRate: n.maxEdgeMismatchRate,
      maxRejectedRate: n.maxRejectedRate,
      minCosine: n.minCosine,
    });
    const config = configFromFlags(flags, { validate: fromConfig });
    if (flags.times !== undefined && flags.every === undefined) throw new ConfigError('--times', 'needs --every');
    const options: ValidateOptions = {
      config,
      thresholds: defined({ maxContentMismatchRate: n.maxContentMismatchRate, maxCountDifferenceRate: n.maxCountDiffRate }),
      ...(flags.sampleRate !== undefined ? { sampleRate: flags.sampleRate as number } : {}),
      ...(flags.rejects !== undefined ? { rejectsPath: flags.rejects as string } : {}),
    };
    if (flags.every === undefined) {
      let interrupted = false;
      const report = await withInterrupt(
        (signal) => validate({ ...options, signal }),
        () => (interrupted = process.stderr.write('interrupt: stopping the sweep\n')),
      ).catch((err: unknown) => {
        if (interrupted) return null;
        throw err;
      });
      if (report === null) return void (process.exitCode = EXIT.INTERRUPTED);
      const stored = await storeReport(config.runDir, report);
      print(report, flags, stored.path, false);
      process.exitCode = report.passed ? EXIT.OK : EXIT.VALIDATION_FAILED;
      return;
    }
    const everyMs = parseDuration(String(flags.every), '--every');
    const result = await withInterrupt(
      (signal) =>
        validateLoop({
          ...options,
          signal,
          everyMs,
          ...(flags.times !== undefined ? { times: flags.times as number } : {}),
          onReport: (report, stored) => print(report, flags, stored.path, true),
        }),
      () => process.stderr.write('interrupt: stopping after the sweep in progress\n'),
    );
    if (!flags.json) process.stderr.write(`${result.iterations} sweeps, ${result.failed} failed\n`);
    process.exitCode = result.failed > 0 ? EXIT.VALIDATION_FAILED : EXIT.OK;
  });
}
