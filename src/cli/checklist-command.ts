import type { Command } from 'commander';
import { runChecklist } from '../live/checklist/checklist.js';
import { addConnectionOptions, configFromFlags, integerArg } from './common-options.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import { formatTable, printJson } from './output.js';

const MARK: Record<string, string> = { pass: 'PASS', fail: 'FAIL', unsupported: 'N/A (target)', manual: 'MANUAL', 'not-measured': 'NOT MEASURED' };

/** `engram-migrate checklist`: the article's migration checklist as a pass/fail table from measurements it takes. */
export function registerChecklist(program: Command): void {
  const cmd = program
    .command('checklist')
    .description(
      "the article's migration checklist, measured now: counts, embeddings, properties, activate() latency/throughput/errors on both stores, answer overlap",
    )
    .option('--sample <n>', 'random nodes for the integrity checks and the probe queries (default 200)', integerArg)
    .option('--k <n>', 'activate() results per query (default 10)', integerArg)
    .option('--probe-queries <n>', 'sequential probe queries per store (default 200)', integerArg)
    .option('--probe-seconds <n>', 'throughput run per store, seconds (default 5)', integerArg)
    .option('--probe-concurrency <n>', 'callers in the throughput run (default 8)', integerArg)
    .option('--create-vector-index', 'create the 768-d cosine vector index on labels that lack one (else Neo4j is probed with an exact scan)')
    .option('--no-validate-report', 'measure the integrity rows even when <run-dir>/validate/latest.json exists');
  addConnectionOptions(cmd);
  cmd.addHelpText(
    'after',
    `\nRows: PASS / FAIL from measurements; N/A (target) where Engram cannot support the item; MANUAL for operational items.\nExit 0 when no row fails, 7 otherwise.\n\n${EXIT_HELP}`,
  );
  cmd.action(async (flags: Record<string, unknown>) => {
    const config = configFromFlags(flags, { target: { kind: 'engram' } });
    const n = flags as Record<string, number | undefined>;
    const report = await runChecklist({
      config,
      ...(n.sample !== undefined ? { sampleSize: n.sample } : {}),
      ...(n.k !== undefined ? { k: n.k } : {}),
      ...(n.probeQueries !== undefined ? { latencyQueries: n.probeQueries } : {}),
      ...(n.probeSeconds !== undefined ? { throughputMs: n.probeSeconds * 1000 } : {}),
      ...(n.probeConcurrency !== undefined ? { concurrency: n.probeConcurrency } : {}),
      createVectorIndex: Boolean(flags.createVectorIndex),
      useValidateReport: flags.validateReport !== false,
      log: flags.quiet ? undefined : (line) => process.stderr.write(`checklist: ${line}\n`),
    });
    if (flags.json) printJson(report);
    else {
      process.stdout.write(
        formatTable(
          ['section', 'check', 'result', 'measured', 'from'],
          report.rows.map((r) => [r.section, r.item, MARK[r.status] ?? r.status, r.measured, r.source]),
        ) + '\n',
      );
      const failed = report.rows.filter((r) => r.status === 'fail').length;
      process.stdout.write(`\n${report.passed ? 'no measured row failed' : `${failed} row(s) failed`} (measured ${report.measuredAt})\n`);
    }
    process.exitCode = report.passed ? EXIT.OK : EXIT.VALIDATION_FAILED;
  });
}
