/** Human-readable lines of a {@link DedupSummary} (the backfill's stderr report). */
import type { DedupSummary } from './dedup-guard.js';

export function formatDedupSummary(title: string, d: DedupSummary): string[] {
  const lines = [
    `${title}: ${d.dropped} of ${d.checked} memories would be dropped by the target as near-duplicates (cosine ≥ 0.95 within a space)` +
      (d.mapFile ? `; map of dropped id → surviving id: ${d.mapFile}` : ''),
  ];
  for (const s of d.bySpace.filter((x) => x.dropped > 0)) lines.push(`  space ${s.space}: ${s.dropped} of ${s.checked}`);
  for (const e of d.examples.slice(0, 5))
    lines.push(
      `  e.g. ${e.id} (${e.label}) → ${e.survivor}, cosine ${e.cosine.toFixed(4)}${e.reason === 'replaced' ? ', replaced by a later write of higher confidence' : ''}`,
    );
  for (const n of d.notes) lines.push(`  note: ${n}`);
  return lines;
}
