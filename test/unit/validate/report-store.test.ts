import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport } from '../../../src/validate/report-format.js';
import { storeReport } from '../../../src/validate/report-store.js';
import { emptyCounters, evaluateChecks, REPORT_FORMAT, type ValidationReport } from '../../../src/validate/validation-report.js';
import { formatTable } from '../../../src/cli/output.js';

function report(finishedAt: string, passed: boolean): ValidationReport {
  const thresholds = {
    maxMissingRate: 0,
    maxEmbeddingMismatchRate: 0.0001,
    maxEdgeMismatchRate: 0.001,
    maxRejectedRate: 0,
    maxContentMismatchRate: 0,
    maxCountDifferenceRate: 0,
    minCosine: 0.99,
  };
  const counters = { ...emptyCounters(), sampled: 2, expected: 2, present: passed ? 2 : 1, missing: passed ? 0 : 1 };
  return {
    format: REPORT_FORMAT,
    version: 1,
    mode: 'sweep',
    startedAt: finishedAt,
    finishedAt,
    durationMs: 5,
    runDir: '/x',
    target: { kind: 'bundle', location: '/b' },
    sample: { seed: 1, requested: 2, population: 10, sampled: 2, repeatedKeys: 0, byLabel: {} },
    thresholds,
    counters,
    checks: evaluateChecks(counters, [], thresholds, { edges: false }),
    spaces: [],
    faults: passed ? [] : [{ kind: 'missing', label: 'L', space: 'l', id: 'k1', detail: 'not in space l of the target' }],
    faultsByKind: passed ? {} : { missing: 1 },
    rejectedByMappingByCode: {},
    timings: {},
    notes: [],
    passed,
  };
}

describe('storeReport', () => {
  it('writes report-<time>.json and latest.json and appends one history line per report', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'em-reports-'));
    const a = await storeReport(runDir, report('2030-01-01T00:00:00.000Z', true));
    const b = await storeReport(runDir, report('2030-01-01T01:00:00.000Z', false));
    expect(a.path).toBe(join(runDir, 'validate', 'report-2030-01-01T00-00-00.000Z.json'));
    expect(existsSync(a.path) && existsSync(b.path)).toBe(true);
    expect(JSON.parse(readFileSync(b.latest, 'utf8')).finishedAt).toBe('2030-01-01T01:00:00.000Z');
    const history = readFileSync(a.history, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(history.map((h) => h.passed)).toEqual([true, false]);
    expect(history[1].faultsByKind).toEqual({ missing: 1 });
  });

  it('formats a verdict, the checks and the faults as text', () => {
    const lines = formatReport(report('2030-01-01T00:00:00.000Z', false), formatTable).join('\n');
    expect(lines).toMatch(/^validation FAILED/);
    expect(lines).toContain('missing       fail');
    expect(lines).toContain('k1');
  });
});
