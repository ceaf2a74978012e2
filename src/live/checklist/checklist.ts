import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../../config/config-schema.js';
import { Neo4jSource } from '../../source/neo4j-source.js';
import { EngramClient } from '../../target/engram-client.js';
import type { ValidationReport } from '../../validate/validation-report.js';
import { planValidation } from '../../validate/validation-plan.js';
import { readCheckpoint } from '../../validate/reject-index.js';
import { probeActivation } from './activation-probe.js';
import { enableBoltNoDelay } from '../adapters/bolt-no-delay.js';
import { checkSample, sampleSourceNodes, type SampledNode } from './checklist-integrity.js';
import { dataRowsFromMeasurement, dataRowsFromReport, performanceRows, staticRows, type ChecklistRow, type SpaceCounts } from './checklist-rows.js';
import { EngramGraphDatabase } from '../adapters/engram-graph-database.js';
import type { ActivationQuery, GraphDatabase } from '../graph-database.js';
import { Neo4jGraphDatabase } from '../adapters/neo4j-graph-database.js';

export type { ChecklistRow, ChecklistStatus } from './checklist-rows.js';

export interface ChecklistOptions {
  config: ResolvedConfig;
  /** Sampled nodes for the integrity rows and the probe's queries (default 200). */
  sampleSize?: number;
  /** activate() results per query (default 10). */
  k?: number;
  /** Sequential probe queries per store (default 200) and throughput time per store (default 5 s). */
  latencyQueries?: number;
  throughputMs?: number;
  concurrency?: number;
  /** Create the 768-d cosine vector index on each label when it is missing (otherwise Neo4j is probed with an exact scan). */
  createVectorIndex?: boolean;
  /** Use `<runDir>/validate/latest.json` for the embedding and property rows when it exists (default true). */
  useValidateReport?: boolean;
  log?: (line: string) => void;
}

export interface ChecklistReport {
  rows: ChecklistRow[];
  /** No measured row failed. */
  passed: boolean;
  measuredAt: string;
}

async function readValidateReport(runDir: string): Promise<{ report: ValidationReport; path: string } | null> {
  const path = join(runDir, 'validate', 'latest.json');
  try {
    const report = JSON.parse(await readFile(path, 'utf8')) as ValidationReport;
    return report.format === 'engram-migrate-validation' && report.mode === 'sweep' ? { report, path } : null;
  } catch {
    return null;
  }
}

async function vectorIndexFor(source: Neo4jSource, label: string, property: string): Promise<string | null> {
  const rows = await source.query<{ name: string; labelsOrTypes: string[]; properties: string[] }>(
    "SHOW INDEXES YIELD name, type, labelsOrTypes, properties WHERE type = 'VECTOR' RETURN name, labelsOrTypes, properties",
  );
  return rows.find((r) => r.labelsOrTypes?.[0] === label && r.properties?.[0] === property)?.name ?? null;
}

type Log = (line: string) => void;
type Plan = Awaited<ReturnType<typeof planValidation>>;

/** Node counts per space on both sides, and Neo4j's relationship count. */
async function measureCounts(source: Neo4jSource, client: EngramClient, plan: Plan): Promise<{ spaces: SpaceCounts[]; relationships: number }> {
  const spaces = await Promise.all(
    [...plan.spaces].map(async ([space, labels]) => ({
      space,
      labels,
      neo4j: plan.labels.filter((l) => l.space === space).reduce((a, l) => a + l.nodes, 0),
      // A sharded space is counted over its shards.
      engram: (await Promise.all((plan.shardSpaces.get(space) ?? [space]).map((s) => client.spaceCount(s)))).reduce((a, n) => a + n, 0),
    })),
  );
  let relationships = 0;
  for (const l of plan.labels) relationships += await source.countRelationships(l);
  return { spaces, relationships };
}

/**
 * Neo4j's side of activate() per space: each label through its vector index (created on request) or an
 * exact scan, and a space holding several labels answered with the top k over all of them, as Engram's
 * recall answers over the space.
 */
async function neo4jActivation(
  source: Neo4jSource,
  plan: Plan,
  options: ChecklistOptions,
  log: Log,
): Promise<{ store: (q: ActivationQuery) => Pick<GraphDatabase, 'activate'>; exactLabels: string[] }> {
  const { config } = options;
  const bySpace = new Map<string, Neo4jGraphDatabase[]>();
  const exactLabels: string[] = [];
  for (const l of plan.labels) {
    const adapter = (activation: 'index' | 'exact', indexName?: string): Neo4jGraphDatabase =>
      new Neo4jGraphDatabase({
        driver: source.driver,
        database: config.source.database,
        label: l.label,
        idProperty: l.key.properties.length === 1 ? l.key.properties[0]! : 'id',
        embeddingProperty: config.mapping.embeddingProperty,
        spaceProperty: null,
        activation,
        ...(indexName ? { indexName } : {}),
      });
    let index = await vectorIndexFor(source, l.label, config.mapping.embeddingProperty);
    if (index === null && options.createVectorIndex) {
      log(`creating a vector index on :${l.label}(${config.mapping.embeddingProperty})`);
      await adapter('index').ensureSchema({ vectorIndex: true });
      index = `${l.label}_embedding`;
    }
    if (index === null) exactLabels.push(l.label);
    bySpace.set(l.space, [...(bySpace.get(l.space) ?? []), adapter(index === null ? 'exact' : 'index', index ?? undefined)]);
  }
  const store = (q: ActivationQuery): Pick<GraphDatabase, 'activate'> => ({
    activate: async (query) => {
      const parts = await Promise.all((bySpace.get(q.space) ?? []).map((a) => a.activate(query)));
      return {
        hits: parts
          .flatMap((p) => p.hits)
          .sort((a, b) => b.score - a.score)
          .slice(0, query.k),
      };
    },
  });
  return { store, exactLabels };
}

async function measurePerformance(
  source: Neo4jSource,
  engram: EngramGraphDatabase,
  plan: Plan,
  sample: SampledNode[],
  options: ChecklistOptions,
  log: Log,
): Promise<ChecklistRow[]> {
  const k = options.k ?? 10;
  const queries: ActivationQuery[] = sample.filter((n) => n.embedding !== null).map((n) => ({ space: n.space, embedding: n.embedding!, k }));
  const neo4j = await neo4jActivation(source, plan, options, log);
  if (queries.length === 0) return performanceRows(null, neo4j.exactLabels);
  log(`probing activate() on both stores with ${queries.length} queries`);
  const probe = await probeActivation({
    oldStore: neo4j.store,
    newStore: () => engram,
    queries,
    latencyQueries: options.latencyQueries ?? 200,
    throughputMs: options.throughputMs ?? 5_000,
    concurrency: options.concurrency ?? 8,
  });
  return performanceRows(probe, neo4j.exactLabels);
}

/**
 * The article's migration checklist, measured: node counts per space (Neo4j vs Engram), edge counts,
 * embeddings and properties on a sample (or the latest validate report), P50/P99 latency, throughput and
 * error rate of activate() on both stores, and the overlap of their answers. Rows Engram cannot support
 * say so; operational rows are left to people.
 */
export async function runChecklist(options: ChecklistOptions): Promise<ChecklistReport> {
  const { config } = options;
  const log = options.log ?? (() => undefined);
  enableBoltNoDelay(config.source.uri); // the probe sends 768-float parameters
  let engram: EngramGraphDatabase | null = null;
  const source = new Neo4jSource(config.source, config.mapping);
  const client = new EngramClient({ url: config.target.url, apiKey: config.target.apiKey, maxRetries: 2, timeoutMs: config.target.timeoutMs });
  try {
    await source.connect();
    const recorded = await readCheckpoint(config);
    const plan = await planValidation(source, config, recorded?.shards);
    log(`counting ${plan.labels.length} labels in Neo4j and ${plan.spaces.size} spaces in Engram`);
    const { spaces, relationships } = await measureCounts(source, client, plan);
    engram = new EngramGraphDatabase({ client, shards: Object.fromEntries(plan.labels.filter((l) => l.shards > 1).map((l) => [l.space, l.shards])) });
    const sample = await sampleSourceNodes(source, plan.labels, config, options.sampleSize ?? 200);
    log(`sampled ${sample.nodes.length} nodes (${sample.rejected} rejected by the mapping)`);
    const validate = options.useValidateReport === false ? null : await readValidateReport(config.runDir);
    const dataRows = validate
      ? dataRowsFromReport(spaces, relationships, validate.report, validate.path)
      : dataRowsFromMeasurement(spaces, relationships, await checkSample(client, sample.nodes, sample.rejected, config.validate.minCosine), config);
    const rows = [...dataRows, ...(await measurePerformance(source, engram, plan, sample.nodes, options, log)), ...staticRows()];
    return { rows, passed: rows.every((r) => r.status !== 'fail'), measuredAt: new Date().toISOString() };
  } finally {
    await engram?.close();
    await source.close();
  }
}
