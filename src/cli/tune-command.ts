import { InvalidArgumentError, Option, type Command } from 'commander';
import { MigrateError, type ErrorCode } from '../errors.js';
import { formatFillReport } from '../tune/fill-report.js';
import { formatDuration } from '../tune/projection.js';
import { settingLabel } from '../tune/recommend.js';
import { writeTuneArtifacts } from '../tune/tune-artifacts.js';
import { sameSetting } from '../tune/tune-grid.js';
import { tune, type TuneReport } from '../tune/tune.js';
import { addConnectionOptions, configFromFlags, integerArg, numberArg } from './common-options.js';
import { EXIT, EXIT_HELP, exitCodeFor } from './exit-codes.js';
import { formatTable, printJson, withInterrupt } from './output.js';

function positiveList(value: string): number[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0 || list.some((s) => !/^\d+$/.test(s) || Number(s) < 1))
    throw new InvalidArgumentError(`expected a comma-separated list of whole numbers ≥ 1, got ${JSON.stringify(value)}`);
  return list.map(Number);
}

function fraction(value: string): number {
  const n = numberArg(value);
  if (n > 1) throw new InvalidArgumentError(`expected a fraction between 0 and 1, got ${JSON.stringify(value)}`);
  return n;
}

/** The report as a table (one row per slice) plus the recommendation and the projection arithmetic. */
export function formatTuneReport(report: TuneReport): string[] {
  const pick = report.recommendation?.setting;
  const rows = report.slices.map((r, i) => [
    i + 1,
    r.setting.batchSize,
    `${r.setting.workers}×${r.setting.inferenceThreads}`,
    r.setting.concurrency ?? '-',
    Math.round(r.measurement.recordsPerSecond),
    Math.round(r.measurement.p99BatchMs),
    r.outcome.peakRssMb,
    (r.measurement.errorRate * 100).toFixed(2),
    formatDuration(r.projection.totalSeconds),
    pick && sameSetting(pick, r.setting) ? '← recommended' : (r.ineligible ?? ''),
  ]);
  const fill = report.fill ? formatFillReport(report.fill) : [];
  if (report.slices.length === 0 && report.fill) {
    // The last layout projected for the counted (or --project-nodes) graph is the recommended one.
    const layout = report.fill.projections.filter((p) => p.nodes === report.graph.projectedNodes).at(-1);
    const shards = layout && layout.shards > 1 ? `; spread ${layout.nodes} nodes over ${layout.shards} spaces (mapping.shards)` : '';
    return [...fill, `use: --concurrency ${report.fill.bestConcurrency}${shards}`, ...report.notes.map((n) => `note: ${n}`)];
  }
  const lines = [
    ...fill,
    `tune ${report.target.kind}${report.dryRun ? ' (dry run)' : ''}: ${report.graph.totalNodes} nodes counted, projected for ${report.graph.projectedNodes}; pause ${report.pauseMs} ms per batch; ${report.slices.length} slices in ${formatDuration(report.durationMs / 1000)}`,
    formatTable(['#', 'batch', 'workers×threads', 'conn', 'records/s', 'p99 batch ms', 'peak RSS MB', 'errors %', 'projected', ''], rows),
  ];
  if (report.recommendation) {
    lines.push(`recommended: ${settingLabel(report.recommendation.setting)}: ${report.recommendation.reason}`);
    lines.push(`projection: ${report.recommendation.projection}`);
    const s = report.recommendation.setting;
    lines.push(
      `use: --batch-size ${s.batchSize} --workers ${s.workers} --inference-threads ${s.inferenceThreads}${s.concurrency === null ? '' : ` --concurrency ${s.concurrency}`}`,
    );
  } else lines.push('no setting qualified (see the last column)');
  lines.push(...formatEmbeddingProbe(report.embedding));
  for (const note of report.notes) lines.push(`note: ${note}`);
  if (report.interrupted) lines.push('interrupted: the report covers the slices that finished');
  return lines;
}

/** The embedding probe's lines: texts/s per option, the fp32/q8 cosine, the pick. */
export function formatEmbeddingProbe(e: TuneReport['embedding']): string[] {
  if (e === null) return [];
  const rows = e.options.map((o) => [o.dtype ?? '-', o.concurrency ?? '-', o.error ? 'failed' : o.textsPerSecond, o.error ?? '']);
  const lines = [
    `embedding generation (${e.provider}): ${e.missing} nodes without an embedding; ${e.texts} of their texts timed per option`,
    formatTable(['dtype', 'concurrency', 'texts/s', ''], rows),
  ];
  if (e.fidelity) lines.push(`q8 against fp32 on the same ${e.fidelity.texts} texts: mean cosine ${e.fidelity.meanCosine}, least ${e.fidelity.minCosine}`);
  if (e.recommendation) lines.push(`embedding: ${e.recommendation.reason}`);
  return lines;
}

function exitCodeForTune(report: TuneReport): number {
  if (report.interrupted) return EXIT.INTERRUPTED;
  if (report.recommendation || (report.fill && report.slices.length === 0)) return EXIT.OK;
  const code = report.slices.map((r) => r.outcome.error?.match(/^([A-Z_]+):/)?.[1]).find((c) => c !== undefined);
  return code ? exitCodeFor(new MigrateError(code as ErrorCode, '')) : EXIT.INTERNAL;
}

export function registerTune(program: Command): void {
  const cmd = program
    .command('tune')
    .description('time short backfill slices over a grid of batch sizes, pool layouts and connections; recommend a setting and project the full backfill')
    .option('--dry-run', 'read and map only (no inference, no writes)')
    .option('--batch-sizes <list>', 'batch sizes to try (default 100,1000,5000,10000,50000)', positiveList)
    .option('--workers <list>', 'worker counts to try (default 1,2; pairs with workers × threads > cores are skipped)', positiveList)
    .option('--inference-threads <list>', 'ONNX Runtime threads per worker to try (default 1,2)', positiveList)
    .option('--concurrency <list>', 'Engram connections to try (default: configured/4, configured, configured×4)', positiveList)
    .addOption(
      new Option('--search <mode>', 'staged: one knob at a time where the others are best; full: every combination')
        .choices(['staged', 'full'])
        .default('staged'),
    )
    .option('--slice-seconds <s>', 'stop a slice after this long, once four batches are in (default 20)', numberArg)
    .option('--slice-nodes <n>', 'stop a slice after this many nodes, once four batches are in (default 150000)', integerArg)
    .option('--project-nodes <n>', 'project the backfill for this many nodes (default: the counted graph)', integerArg)
    .option('--scratch-space <prefix>', 'Engram target: prefix of the scratch spaces slices write into (default tune-<random>)')
    .option('--fill-budget <n>', 'Engram target: memories the fill curve writes into its scratch space, 0 = skip (default 5000)', integerArg)
    .option('--max-spaces <n>', 'Engram target: spaces per server the fill curve may recommend (~3 GB of page cache each; default 128)', integerArg)
    .option('--fill-only', 'Engram target: measure the fill curve (writes/s as a space fills, shard size, projection) without backfill slices')
    .option('--no-warmup', 'skip the unmeasured dry-run slice that warms the Neo4j page cache')
    .option('--max-error-rate <fraction>', 'do not recommend settings with more retries per write (default 0.001)', fraction)
    .option('--max-rss-mb <mb>', 'do not recommend settings whose peak RSS exceeds this', integerArg)
    .option('--tolerance <fraction>', 'settings this close to the fastest count as equally fast; the lightest wins (default 0.1)', fraction)
    .option('--out <dir>', 'where tune-report.json, tune-chart.svg and tune-chart.png go (default .runs/tune)')
    .option('--pause-ms <ms>', 'pause between batches, as the backfill will use it (default 100)', integerArg)
    .option('--rate <n>', 'records per second the backfill will be limited to, 0 = unlimited (default 0)', numberArg)
    .option(
      '--embedding-texts <n>',
      'texts of nodes without an embedding to time fp32/q8 (or, with model.provider openai, concurrencies) on; 0 skips (default 64)',
      integerArg,
    )
    .option(
      '--embedding-concurrency <list>',
      'model.provider openai: requests in flight per worker to try (default 1, configured, 4 × configured)',
      positiveList,
    );
  addConnectionOptions(cmd);
  cmd.addHelpText(
    'after',
    `\nWith --target engram, slices write into scratch spaces (--scratch-space) and the fill curve into <prefix>-fill; Engram cannot delete them.\n\n${EXIT_HELP}`,
  );
  cmd.action(async (flags: Record<string, unknown>) => runTuneCommand(flags));
}

async function runTuneCommand(flags: Record<string, unknown>): Promise<void> {
  const config = configFromFlags({ ...flags, workers: undefined, inferenceThreads: undefined, concurrency: undefined });
  const log = (line: string): void => void (flags.quiet ? undefined : process.stderr.write(`${line}\n`));
  const report = await withInterrupt(
    (signal) =>
      tune({
        config,
        signal,
        dryRun: Boolean(flags.dryRun),
        search: flags.search as 'staged' | 'full',
        grid: {
          ...(flags.batchSizes ? { batchSizes: flags.batchSizes as number[] } : {}),
          ...(flags.workers ? { workers: flags.workers as number[] } : {}),
          ...(flags.inferenceThreads ? { inferenceThreads: flags.inferenceThreads as number[] } : {}),
          ...(flags.concurrency ? { concurrency: flags.concurrency as number[] } : {}),
        },
        ...(flags.sliceSeconds !== undefined ? { sliceSeconds: flags.sliceSeconds as number } : {}),
        ...(flags.sliceNodes !== undefined ? { sliceNodes: flags.sliceNodes as number } : {}),
        ...(flags.projectNodes !== undefined ? { projectNodes: flags.projectNodes as number } : {}),
        ...(flags.scratchSpace !== undefined ? { scratchPrefix: flags.scratchSpace as string } : {}),
        ...(flags.fillBudget !== undefined ? { fillBudget: flags.fillBudget as number } : {}),
        ...(flags.maxSpaces !== undefined ? { maxSpaces: flags.maxSpaces as number } : {}),
        fillOnly: Boolean(flags.fillOnly),
        warmup: flags.warmup !== false,
        ...(flags.embeddingTexts !== undefined ? { embeddingTexts: flags.embeddingTexts as number } : {}),
        ...(flags.embeddingConcurrency ? { embeddingConcurrency: flags.embeddingConcurrency as number[] } : {}),
        recommend: {
          ...(flags.maxErrorRate !== undefined ? { maxErrorRate: flags.maxErrorRate as number } : {}),
          ...(flags.maxRssMb !== undefined ? { maxRssMb: flags.maxRssMb as number } : {}),
          ...(flags.tolerance !== undefined ? { tolerance: flags.tolerance as number } : {}),
        },
        onLog: log,
        onSlice: (r, i) =>
          log(
            `slice ${i}: ${settingLabel(r.setting)}: ${Math.round(r.measurement.recordsPerSecond)} records/s, p99 batch ${Math.round(r.measurement.p99BatchMs)} ms, peak RSS ${r.outcome.peakRssMb} MB${r.outcome.ok ? '' : `, failed: ${r.outcome.error}`}`,
          ),
      }),
    () => process.stderr.write('interrupt: stopping the slice in progress; the report covers the slices that finished\n'),
  );
  const files = await writeTuneArtifacts(report, (flags.out as string | undefined) ?? '.runs/tune');
  if (flags.json) printJson({ ...report, files });
  else {
    for (const line of formatTuneReport(report)) process.stderr.write(`${line}\n`);
    process.stderr.write(`report: ${files.json}\nchart: ${files.svg}${files.png ? `, ${files.png}` : ` (no PNG: ${files.pngError})`}\n`);
  }
  process.exitCode = exitCodeForTune(report);
}
