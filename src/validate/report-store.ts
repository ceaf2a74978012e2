import { appendFile, mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidationReport } from './validation-report.js';

export interface StoredReport {
  /** `<runDir>/validate/report-<time>.json` (colons of the ISO time replaced by dashes, for every file system). */
  path: string;
  latest: string;
  history: string;
}

async function writeDurably(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  const handle = await open(`${path}.tmp`, 'r');
  await handle.sync();
  await handle.close();
  await rename(`${path}.tmp`, path);
}

/**
 * Writes a report to `<runDir>/validate/report-<ISO time>.json`, replaces `latest.json` (atomically),
 * and appends a one-line summary to `history.ndjson`, so repeated sweeps accumulate.
 */
export async function storeReport(runDir: string, report: ValidationReport): Promise<StoredReport> {
  const dir = join(runDir, 'validate');
  await mkdir(dir, { recursive: true });
  const text = JSON.stringify(report, null, 2) + '\n';
  const path = join(dir, `report-${report.finishedAt.replaceAll(':', '-')}.json`);
  const latest = join(dir, 'latest.json');
  const history = join(dir, 'history.ndjson');
  await writeDurably(path, text);
  await writeDurably(latest, text);
  const summary = {
    finishedAt: report.finishedAt,
    mode: report.mode,
    passed: report.passed,
    sampled: report.sample.sampled,
    seed: report.sample.seed,
    checks: Object.fromEntries(report.checks.map((c) => [c.name, c.status])),
    faultsByKind: report.faultsByKind,
    report: path,
  };
  await appendFile(history, JSON.stringify(summary) + '\n');
  return { path, latest, history };
}
