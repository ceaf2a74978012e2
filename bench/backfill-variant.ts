/**
 * One measured variant of the backfill benchmark, run in its own process so its peak RSS is its own:
 *   node dist/bench/backfill-variant.js <raw|engine|seed> '<json options>'
 * Prints one JSON line: { variant, target, nodes, seconds, nodesPerSecond, peakRssMb }.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import neo4j from 'neo4j-driver';
import { resolveConfig } from '../src/config/resolve-config.js';
import { createEmbedder } from '../src/embed/embedder.js';
import { backfill } from '../src/engine/backfill.js';
import { encodeMemory } from '../src/mapping/memory-encoding.js';
import { mapNode, spaceForLabel } from '../src/mapping/node-mapper.js';
import { EMBEDDING_DIM, type LabelKey, type SourceNode } from '../src/mapping/types.js';
import { Neo4jSource } from '../src/source/neo4j-source.js';
import { normalizeProperties } from '../src/source/neo4j-values.js';
import { EngramClient } from '../src/target/engram-client.js';
import { validate } from '../src/validate/validate.js';

interface VariantOptions {
  uri: string;
  label: string;
  target: 'bundle' | 'engram' | 'none';
  engramUrl?: string;
  batchSize: number;
  model: string;
  workers?: number;
  inferenceThreads?: number;
  readers?: number;
  dtype?: 'fp32' | 'q8';
  /** Set: generate through this OpenAI-compatible server (model.provider openai) instead of the local model. */
  embeddingsUrl?: string;
  /** engine: validate a sample of this many nodes afterwards (not timed). */
  validateSample?: number;
}

const [variant, json] = process.argv.slice(2) as [string, string];
const o = JSON.parse(json) as VariantOptions;

function config() {
  return resolveConfig({
    source: { uri: o.uri, labels: [o.label], readers: o.readers ?? 0 },
    target: o.target === 'engram' ? { kind: 'engram', url: o.engramUrl } : { kind: 'bundle', path: mkdtempSync(join(tmpdir(), 'bench-bundle-')) },
    engine: { batchSize: o.batchSize, pauseMs: 0, edges: false, workers: o.workers ?? 0, inferenceThreads: o.inferenceThreads ?? 0 },
    // openai: one request in flight per worker, so the server (one session) always has the next one
    // queued, and none waits in its queue long enough to time out on a loaded machine.
    model: o.embeddingsUrl
      ? { path: o.model, provider: 'openai', url: o.embeddingsUrl, name: 'bench', concurrency: 1, timeoutMs: 600_000 }
      : { path: o.model, dtype: o.dtype ?? 'fp32' },
    runDir: mkdtempSync(join(tmpdir(), 'bench-run-')),
  });
}

/** The bench graph's key: its unique `id` property. */
const ID_KEY: LabelKey = { properties: ['id'], source: 'constraint', unique: true, reason: 'the bench graph' };

/** The raw read rate: the engine's own node-id pages, decoded and discarded. */
async function raw(): Promise<number> {
  const c = config();
  const source = new Neo4jSource(c.source, c.mapping);
  const scope = { label: o.label, earlier: [] };
  const bounds = await source.nodeIdBounds(scope);
  let n = 0;
  for (let after = (bounds?.lo ?? 0) - 1; bounds && after < bounds.hi; ) {
    const page = await source.nodePage(scope, ['id'], after + 1, Math.min(bounds.hi, after + o.batchSize), o.batchSize);
    n += page.nodes.length;
    after = page.lastCovered;
  }
  await source.close();
  return n;
}

/** What the engine variant adds to its line: the pool's busy share, and the validation when asked for. */
const extra: Record<string, unknown> = {};
/** When the timed part ended, if something untimed (validation) follows it. */
let timedEnd: number | null = null;

async function engine(): Promise<number> {
  const c = config();
  const summary = await backfill({ config: c });
  if (summary.error) throw new Error(`${summary.error.code}: ${summary.error.message}`);
  extra.busyShare = summary.pool?.busyShare ?? null;
  extra.generated = summary.counters.embeddingsGenerated;
  timedEnd = performance.now();
  if (o.validateSample) {
    const t0 = performance.now();
    const report = await validate({ config: c, sampleSize: o.validateSample });
    const failed = report.checks.filter((k) => k.status === 'fail').map((k) => k.name);
    extra.validation = { passed: report.passed, sampled: report.sample.sampled, failed, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) };
  }
  rmSync(c.runDir, { recursive: true, force: true });
  if (c.target.kind === 'bundle') rmSync(c.target.path, { recursive: true, force: true });
  return summary.counters.memoriesWritten;
}

/**
 * The article's loop as a hand-written script would do it: SKIP/LIMIT pages, mapping (and any embedding
 * generation) on the main thread, then one awaited write per batch (Engram has no batch route, so the
 * batch's requests go one after another).
 */
async function seed(): Promise<number> {
  const c = config();
  const driver = neo4j.driver(o.uri, undefined, { useBigInt: true });
  const embedder = await createEmbedder({ model: o.model, threads: 1, dtype: o.dtype ?? 'fp32' });
  const client = o.target === 'engram' ? new EngramClient({ url: o.engramUrl!, connections: 1 }) : null;
  const file = join(c.target.path, 'seed.ndjson');
  const space = spaceForLabel(o.label, c.mapping);
  const now = new Date().toISOString();
  let written = 0;
  for (let skip = 0; ; skip += o.batchSize) {
    const session = driver.session();
    const result = await session.run(`MATCH (n:\`${o.label}\`) RETURN n ORDER BY n.id SKIP $skip LIMIT $limit`, {
      skip: neo4j.int(skip),
      limit: neo4j.int(o.batchSize),
    });
    await session.close();
    if (result.records.length === 0) break;
    const lines: string[] = [];
    for (const record of result.records) {
      const n = record.get('n') as { elementId: string; labels: string[]; properties: Record<string, unknown> };
      const embedding = n.properties.embedding as number[] | undefined;
      const props = normalizeProperties({ ...n.properties, embedding: undefined });
      delete props.embedding;
      const node: SourceNode = { elementId: n.elementId, label: o.label, labels: n.labels, keyValues: [props.id ?? null], properties: props, embedding };
      const mapped = mapNode(node, embedding ? { kind: 'present' } : { kind: 'absent' }, c.mapping, space, now, ID_KEY);
      if (!mapped.ok) continue;
      const vector = new Float32Array(EMBEDDING_DIM);
      if (embedding) vector.set(embedding);
      else await embedder.embed([mapped.node.generateFrom!], vector, 0);
      lines.push(encodeMemory(mapped.node, vector, client ? 'engram-json' : 'bundle-ndjson', 1));
    }
    if (client) for (const line of lines) await client.remember(space, line);
    else await appendFile(file, lines.join('\n') + '\n');
    written += lines.length;
  }
  await driver.close();
  await embedder.dispose();
  await client?.close();
  return written;
}

const started = performance.now();
const nodes = await ({ raw, engine, seed } as Record<string, () => Promise<number>>)[variant]!();
const seconds = ((timedEnd ?? performance.now()) - started) / 1000;
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(
  JSON.stringify({ variant, target: o.target, nodes, seconds: Number(seconds.toFixed(2)), nodesPerSecond: Math.round(nodes / seconds), peakRssMb, ...extra }),
);
process.exit(0);
