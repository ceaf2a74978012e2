/**
 * What the live load test reads back after the run (bench/live-load-run.ts): the services' logs of
 * acknowledged writes, every key's content in Neo4j and in the Engram double, and their comparison.
 */
import { readFile } from 'node:fs/promises';
import neo4j from 'neo4j-driver';
import { LatencyHistogram, type LatencySummary } from '../src/live/shadow/latency-histogram.js';
import { EngramClient } from '../src/target/engram-client.js';

/** Key → content of every memory node in Neo4j. */
export async function neo4jContents(uri: string, label: string): Promise<Map<string, string>> {
  const driver = neo4j.driver(uri);
  try {
    const result = await driver.executeQuery(`MATCH (n:\`${label}\`) RETURN n.id AS id, n.content AS content`);
    return new Map(result.records.map((r) => [String(r.get('id')), String(r.get('content'))]));
  } finally {
    await driver.close();
  }
}

export async function engramIds(url: string, space: string): Promise<Map<string, string>> {
  const client = new EngramClient({ url });
  const out = new Map<string, string>();
  try {
    for (let offset = 0; ; offset += 1000) {
      const page = await client.listMemories(space, offset, 1000, false);
      for (const m of page.memories) out.set(m.id, m.content);
      if (page.memories.length < 1000) return out;
    }
  } finally {
    await client.close();
  }
}

export interface Logged {
  id: string;
  startedAt: number;
  latency: number;
  version: number;
}

/** The version a content names (`live load write <id>` is 0, `... v<n>` is n). */
export function versionOf(content: string): number {
  const m = / v(\d+)$/.exec(content);
  return m === null ? 0 : Number(m[1]);
}

export async function readLog(path: string): Promise<Logged[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, at, lat, version] = line.split(' ');
      return { id: id!, startedAt: Number(at), latency: Number(lat), version: Number(version ?? 0) };
    });
}

export function window(rows: Logged[], from: number, to: number, skip: [number, number] | null = null): LatencySummary {
  const h = new LatencyHistogram();
  for (const r of rows) if (r.startedAt >= from && r.startedAt < to && !(skip && r.startedAt >= skip[0] && r.startedAt < skip[1])) h.record(r.latency);
  return h.summary();
}

/**
 * Every key compared: `contentMismatches` (Engram's content is not Neo4j's: an older version included),
 * `olderThanAcked` (Neo4j's version older than one a service acknowledged), and the updated keys (a
 * version > 0 in Neo4j) that Engram holds at that latest version.
 */
export function compareStores(
  rows: readonly Logged[],
  inNeo: ReadonlyMap<string, string>,
  inEngram: ReadonlyMap<string, string>,
): {
  missing: { inNeo4j: number; inEngram: number; phantomsInEngram: number; contentMismatches: number; olderThanAcked: number };
  updatedKeys: { keys: number; atLatest: number };
  /** The first keys (at most 20) whose content differs, for the report: what each store holds. */
  mismatches: Array<{ id: string; neo4j: string; engram: string | null }>;
} {
  const acked = new Map<string, number>();
  for (const r of rows) acked.set(r.id, Math.max(acked.get(r.id) ?? 0, r.version));
  const updated = [...inNeo].filter(([, content]) => versionOf(content) > 0);
  return {
    missing: {
      inNeo4j: [...acked.keys()].filter((id) => !inNeo.has(id)).length,
      inEngram: [...inNeo.keys()].filter((id) => !inEngram.has(id)).length,
      phantomsInEngram: [...inEngram.keys()].filter((id) => !inNeo.has(id)).length,
      contentMismatches: [...inNeo].filter(([id, content]) => inEngram.has(id) && inEngram.get(id) !== content).length,
      olderThanAcked: [...acked].filter(([id, version]) => inNeo.has(id) && versionOf(inNeo.get(id)!) < version).length,
    },
    updatedKeys: { keys: updated.length, atLatest: updated.filter(([id, content]) => inEngram.get(id) === content).length },
    mismatches: [...inNeo]
      .filter(([id, content]) => inEngram.get(id) !== content)
      .slice(0, 20)
      .map(([id, content]) => ({ id, neo4j: content, engram: inEngram.get(id) ?? null })),
  };
}
