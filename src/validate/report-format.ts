import type { ValidationReport } from './validation-report.js';

type Table = (header: string[], rows: Array<Array<string | number>>) => string;

const percent = (rate: number | null): string => (rate === null ? '-' : `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 4 : 2)}%`);

/**
 * The readable form of a report: a verdict line, the checks with their rates and thresholds, the
 * per-space counts, and the first faults with their causes. `table` lays out columns (the CLI's).
 */
export function formatReport(r: ValidationReport, table: Table, maxFaults = 20): string[] {
  const c = r.counters;
  const lines = [
    `validation ${r.passed ? 'PASSED' : 'FAILED'} (${r.mode}) in ${(r.durationMs / 1000).toFixed(1)} s: ${r.sample.sampled} of ${r.sample.population} nodes sampled (seed ${r.sample.seed}), target ${r.target.kind} ${r.target.location}`,
    `sampled ${c.sampled}: expected in target ${c.expected}, present ${c.present}, rejected by mapping ${c.rejectedByMapping}, rejected at write ${c.rejectedAtWrite}, vanished from Neo4j ${c.vanished}; embeddings regenerated ${c.regenerated}${c.regeneratedWrongWidth ? ` (${c.regeneratedWrongWidth} in place of a stored embedding of another width)` : ''}`,
    table(
      ['check', 'status', 'failures', 'checked', 'rate', 'max', 'note'],
      r.checks.map((k) => [k.name, k.status, k.failures, k.checked, percent(k.rate), percent(k.threshold), k.note]),
    ),
  ];
  if (r.spaces.length > 0) {
    lines.push(
      table(
        ['space', 'neo4j', 'rejected', 'before run', 'expected', 'target', 'difference', 'capacity'],
        r.spaces.map((s) => [
          s.space,
          s.neo4j,
          s.rejected ?? '?',
          s.existingAtStart,
          s.expected,
          s.target,
          s.difference,
          s.capacity === null ? '-' : `${s.capacity}${s.atCapacity ? ' (full)' : ''}`,
        ]),
      ),
    );
  }
  const shown = r.faults.slice(0, maxFaults);
  if (shown.length > 0) {
    lines.push(
      table(
        ['fault', 'space', 'id', 'detail'],
        shown.map((f) => [f.kind, f.space, f.id, f.detail]),
      ),
    );
    const total = Object.values(r.faultsByKind).reduce((a, b) => a + (b ?? 0), 0);
    if (total > shown.length) lines.push(`… ${total - shown.length} more faults (see the JSON report)`);
  }
  const drops = r.expectedDrops ?? [];
  if (drops.length > 0) {
    lines.push(`dropped as near-duplicates, as the run's dedup map predicted (expected): ${c.droppedAsPredicted ?? drops.length}`);
    for (const d of drops.slice(0, 5)) lines.push(`  ${d.space} ${d.id}: ${d.detail}`);
  }
  for (const [code, n] of Object.entries(r.rejectedByMappingByCode)) lines.push(`rejected by mapping: ${n} × ${code}`);
  for (const note of r.notes) lines.push(`note: ${note}`);
  return lines;
}
