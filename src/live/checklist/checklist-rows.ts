import type { ResolvedConfig } from '../../config/config-schema.js';
import type { ValidationReport } from '../../validate/validation-report.js';
import type { ActivationProbeResult } from './activation-probe.js';
import type { IntegrityMeasurement } from './checklist-integrity.js';

/** `unsupported`: the target cannot do it; `manual`: not measurable by a tool; `not-measured`: nothing to measure with. */
export type ChecklistStatus = 'pass' | 'fail' | 'unsupported' | 'manual' | 'not-measured';

/** One line of the article's checklist: what was measured, where from, and the verdict. */
export interface ChecklistRow {
  section: 'Data integrity' | 'Performance' | 'Functionality' | 'Operational';
  item: string;
  status: ChecklistStatus;
  measured: string;
  source: string;
}

export interface SpaceCounts {
  space: string;
  labels: string[];
  neo4j: number;
  engram: number;
}

const pct = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)}%`;

function countRow(spaces: SpaceCounts[], missing: { missing: number; of: number; where: string } | null): ChecklistRow {
  const off = spaces.filter((s) => s.neo4j !== s.engram);
  const total = (f: (s: SpaceCounts) => number): number => spaces.reduce((a, s) => a + f(s), 0);
  const detail = off
    .slice(0, 4)
    .map((s) => `${s.space}: ${s.neo4j} vs ${s.engram}`)
    .join('; ');
  const sampled = missing === null ? '' : `; ${missing.missing}/${missing.of} sampled nodes missing (${missing.where})`;
  return {
    section: 'Data integrity',
    item: 'All nodes migrated (count match)',
    status: off.length === 0 && (missing?.missing ?? 0) === 0 ? 'pass' : 'fail',
    measured: `Neo4j ${total((s) => s.neo4j)} nodes vs Engram ${total((s) => s.engram)} memories in ${spaces.length} spaces${off.length ? ` (differ: ${detail})` : ''}${sampled}`,
    source: 'Neo4j count per label (run label order); Engram tier_counts.hot of GET /api/v1/memories per space',
  };
}

function edgeRow(relationships: number): ChecklistRow {
  return {
    section: 'Data integrity',
    item: 'All edges migrated (count match)',
    status: 'unsupported',
    measured: `Neo4j ${relationships} relationships; Engram can store none (no edge API; the backfill keeps them in its edge sidecar)`,
    source: 'Neo4j count of outgoing relationships per label; docs/engram-api.md',
  };
}

/** Data-integrity rows from the checklist's own sample. */
export function dataRowsFromMeasurement(spaces: SpaceCounts[], relationships: number, m: IntegrityMeasurement, config: ResolvedConfig): ChecklistRow[] {
  const where = `sample of ${m.sampled} random nodes, ${m.rejectedByMapping} rejected by the mapping`;
  const min = m.minCosine === null ? '' : `, min cosine ${m.minCosine.toFixed(5)}`;
  const eg = (ids: string[]): string => (ids.length ? `; e.g. ${ids.join(', ')}` : '');
  return [
    countRow(spaces, { missing: m.missing, of: m.sampled - m.rejectedByMapping, where: `GET /api/v1/memories/{id}${eg(m.problems.missing)}` }),
    edgeRow(relationships),
    {
      section: 'Data integrity',
      item: 'Embeddings preserved (>99% similarity)',
      status: m.embeddingChecked === 0 ? 'not-measured' : m.embeddingMismatch / m.embeddingChecked > config.validate.maxEmbeddingMismatchRate ? 'fail' : 'pass',
      measured: `${m.embeddingChecked - m.embeddingMismatch}/${m.embeddingChecked} with cosine ≥ ${config.validate.minCosine}${min}; ${m.generatedSkipped} generated embeddings not compared${eg(m.problems.embedding)}`,
      source: `Engram recall by each node's own Neo4j embedding (the score of its id is the cosine); ${where}`,
    },
    {
      section: 'Data integrity',
      item: 'Properties preserved (spot check)',
      status: m.contentChecked === 0 ? 'not-measured' : m.contentMismatch === 0 ? 'pass' : 'fail',
      measured: `${m.contentChecked - m.contentMismatch}/${m.contentChecked} memory contents equal to the mapping of the node's properties${eg(m.problems.content)}`,
      source: `Engram GET /api/v1/memories/{id} vs the backfill mapping of the Neo4j node; ${where}`,
    },
  ];
}

/** Data-integrity rows from `engram-migrate validate`'s latest sweep (counts are still measured live). */
export function dataRowsFromReport(spaces: SpaceCounts[], relationships: number, report: ValidationReport, path: string): ChecklistRow[] {
  const check = (name: string): ValidationReport['checks'][number] | undefined => report.checks.find((c) => c.name === name);
  const source = `validate report ${path} (finished ${report.finishedAt}, ${report.sample.sampled} sampled)`;
  const row = (item: string, name: string): ChecklistRow => {
    const c = check(name);
    return {
      section: 'Data integrity',
      item,
      status: c === undefined || c.status === 'not-verifiable' ? 'not-measured' : c.status,
      measured:
        c === undefined
          ? 'not in the report'
          : `${c.checked - c.failures}/${c.checked} pass (rate ${c.rate === null ? 'n/a' : pct(c.rate, 3)}, limit ${pct(c.threshold, 3)}); ${c.note}`,
      source,
    };
  };
  const missing = check('missing');
  return [
    countRow(spaces, missing ? { missing: missing.failures, of: missing.checked, where: 'validate report' } : null),
    edgeRow(relationships),
    row('Embeddings preserved (>99% similarity)', 'embedding'),
    row('Properties preserved (spot check)', 'content'),
  ];
}

/** Performance and activation rows from the probe (Engram judged against Neo4j: faster always passes). */
export function performanceRows(probe: ActivationProbeResult | null, exactLabels: string[]): ChecklistRow[] {
  const items = [
    'P50 latency comparable (±20%)',
    'P99 latency comparable (±20%)',
    'Throughput comparable (±10%)',
    'Error rate <0.1%',
    'Activation results similar (>90% overlap)',
  ];
  if (probe === null)
    return items.map((item, i) => ({
      section: i < 4 ? 'Performance' : 'Functionality',
      item,
      status: 'not-measured',
      measured: 'no sampled node has an embedding to query with',
      source: 'activate() probe',
    }));
  const neo = exactLabels.length
    ? `Neo4j exact cosine scan for ${exactLabels.join(', ')} (no vector index; --create-vector-index), vector index otherwise`
    : 'Neo4j db.index.vector.queryNodes';
  const source = `activate() probe, k=${probe.k}, queries = sampled nodes' embeddings: ${probe.old.latencyMs.count + probe.old.errors} sequential per store (interleaved), then ${probe.concurrency} callers for ${probe.throughputMs / 1000} s per store; ${neo}; Engram GET /api/v1/memories/recall`;
  const latency = (p: 'p50' | 'p99'): ChecklistRow => {
    const ratio = probe.new.latencyMs[p] / Math.max(1e-9, probe.old.latencyMs[p]);
    return {
      section: 'Performance',
      item: p === 'p50' ? items[0]! : items[1]!,
      status: ratio <= 1.2 ? 'pass' : 'fail',
      measured: `Engram ${probe.new.latencyMs[p]} ms vs Neo4j ${probe.old.latencyMs[p]} ms (${ratio.toFixed(2)}×; passes up to 1.20×)`,
      source,
    };
  };
  const tpRatio = probe.new.throughput / Math.max(1e-9, probe.old.throughput);
  return [
    latency('p50'),
    latency('p99'),
    {
      section: 'Performance',
      item: items[2]!,
      status: tpRatio >= 0.9 ? 'pass' : 'fail',
      measured: `Engram ${probe.new.throughput}/s vs Neo4j ${probe.old.throughput}/s (${tpRatio.toFixed(2)}×; passes from 0.90×)`,
      source,
    },
    {
      section: 'Performance',
      item: items[3]!,
      status: probe.new.errorRate < 0.001 ? 'pass' : 'fail',
      measured: `Engram ${probe.new.errors}/${probe.new.requests} (${pct(probe.new.errorRate, 3)}), Neo4j ${probe.old.errors}/${probe.old.requests}${probe.new.firstError ? `; first: ${probe.new.firstError.slice(0, 120)}` : ''}`,
      source,
    },
    {
      section: 'Functionality',
      item: items[4]!,
      status: probe.overlap.mean !== null && probe.overlap.mean > 0.9 ? 'pass' : probe.overlap.mean === null ? 'not-measured' : 'fail',
      measured:
        probe.overlap.mean === null
          ? 'no query answered by both'
          : `mean overlap@${probe.k} ${pct(probe.overlap.mean, 1)} (min ${pct(probe.overlap.min ?? 0, 0)}) over ${probe.overlap.compared} queries`,
      source,
    },
  ];
}

/** Rows Engram's server cannot support, and rows only people can tick. */
export function staticRows(): ChecklistRow[] {
  const doc = 'docs/engram-api.md (Engram v0.1 HTTP API)';
  const unsupported = (item: string, measured: string): ChecklistRow => ({ section: 'Functionality', item, status: 'unsupported', measured, source: doc });
  const manual = (item: string, measured: string): ChecklistRow => ({
    section: 'Operational',
    item,
    status: 'manual',
    measured,
    source: 'not measurable by this tool',
  });
  return [
    unsupported('Pattern completion works', 'no pattern-completion route; recall is similarity only (mode=spreading|hybrid answers 400)'),
    unsupported('Memory consolidation works', 'remember reports a consolidation_state, but no route triggers or reads consolidation'),
    unsupported('Decay functions properly', 'no decay route; last access and strength decay are not observable over HTTP'),
    manual('Monitoring dashboards updated', 'the live library exports Prometheus metrics (LiveMetrics.handler) for the dashboards'),
    manual('Alerts configured', 'suggested: shadow_overlap < 0.9, dlq_depth rising, dlq_parked > 0, cutover_error_rate > 0.01'),
    manual('Backup/restore tested', 'to be done by the operators of both stores'),
    manual('Disaster recovery plan updated', 'to be done by the operators; the rollback lever is `engram-migrate cutover set 0`'),
  ];
}
