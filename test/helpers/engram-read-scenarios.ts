/**
 * Scenarios that read an Engram server the way the product does (EngramClient, EngramTarget,
 * EngramSampleReader), written through plain HTTP first. Each returns what was read, so the same
 * scenario can be asserted against the double (unit tests) and against the real server (contract suite).
 * Every scenario uses fresh ids under `prefix`: the server's similarity cache (first 1,000 pairs per
 * space) then never holds a pair of them from earlier scenarios.
 */
import { EngramClient } from '../../src/target/engram-client.js';
import { EngramTarget } from '../../src/target/engram-target.js';
import { EngramSampleReader } from '../../src/validate/engram-sample-reader.js';
import { PRESENT, TargetSample } from '../../src/validate/target-sample.js';
import { call, remember, unitVector, vectorAtCosine } from '../double/double-client.js';

/** A seed per id, so vectors differ between scenarios and prefixes. */
function seedOf(id: string): number {
  let h = 2166136261;
  for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % 1_000_000_007;
}

export const vectorFor = (id: string): number[] => unitVector(seedOf(id));

async function write(url: string, space: string, id: string, embedding: number[], confidence: number, content = id): Promise<void> {
  const reply = await remember(url, { id, content, embedding, confidence }, { 'x-memory-space': space });
  if (reply.status !== 201) throw new Error(`remember ${id}: ${reply.status} ${reply.text}`);
}

/**
 * Three memories, one of them updated twice with unrelated embeddings (each update lands as new).
 * Returns how much `tier_counts.hot`, the client's count and the target's count grew, and the ids of
 * the scenario the client lists.
 */
export async function updatedSpace(
  url: string,
  space: string,
  prefix: string,
): Promise<{ hot: number; clientCount: number; targetCount: number; listed: string[] }> {
  const hotNow = async (): Promise<number> => (await call(url, 'GET', `/api/v1/memories?space=${space}&limit=1`)).json.tier_counts.hot as number;
  const before = { hot: await hotNow(), client: await countWith(url, space, 'client'), target: await countWith(url, space, 'target') };
  const ids = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
  for (const id of ids) await write(url, space, id, vectorFor(id), 1);
  await write(url, space, ids[0]!, vectorFor(`${prefix}a-v2`), 1, 'v2');
  await write(url, space, ids[0]!, vectorFor(`${prefix}a-v3`), 1, 'v3');
  const client = new EngramClient({ url, maxRetries: 2 });
  try {
    const listed: string[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await client.listMemories(space, offset, 1000, false);
      listed.push(...page.memories.map((m) => m.id).filter((id) => id.startsWith(prefix)));
      if (page.memories.length < 1000) break;
    }
    return {
      hot: (await hotNow()) - before.hot,
      clientCount: (await countWith(url, space, 'client')) - before.client,
      targetCount: (await countWith(url, space, 'target')) - before.target,
      listed,
    };
  } finally {
    await client.close();
  }
}

/** The space's count as EngramClient or EngramTarget reads it. */
async function countWith(url: string, space: string, via: 'client' | 'target'): Promise<number> {
  const client = new EngramClient({ url, maxRetries: 2 });
  const target = new EngramTarget({ url, maxRetries: 2, capacityPerSpace: 100_000 });
  try {
    return via === 'client' ? await client.spaceCount(space) : (await target.spaceCounts([space])).get(space)!;
  } finally {
    await client.close();
    await target.close();
  }
}

/** Memories of confidence 0.5 (activation below 0.7: the warm tier too). Returns the ids one listing page gives. */
export async function warmSpaceListing(url: string, space: string, prefix: string, n = 4): Promise<{ listed: string[]; allTier: string[] }> {
  for (let i = 0; i < n; i++) await write(url, space, `${prefix}${i}`, vectorFor(`${prefix}${i}`), 0.5);
  const client = new EngramClient({ url, maxRetries: 2 });
  try {
    const page = await client.listMemories(space, 0, 1000, false);
    const all = (await call(url, 'GET', `/api/v1/memories?space=${space}&limit=1000&tier=all`)).json.memories as Array<{ id: string }>;
    const mine = (ids: string[]): string[] => ids.filter((id) => id.startsWith(prefix)).sort();
    return { listed: mine(page.memories.map((m) => m.id)), allTier: mine(all.map((m) => m.id)) };
  } finally {
    await client.close();
  }
}

/**
 * `loser` (confidence 0.5) and then `winner`, a near-duplicate (cosine 0.97) at confidence 0.9 that
 * replaces it; one more plain memory `kept`. The validation reader reads the three back.
 */
export async function replacedMemoryReadBack(
  url: string,
  space: string,
  prefix: string,
): Promise<{ present: Record<string, boolean>; embeddingRead: Record<string, boolean>; loserStatus: number; loserListed: boolean }> {
  const [loser, winner, kept] = [`${prefix}loser`, `${prefix}winner`, `${prefix}kept`];
  const base = vectorFor(loser);
  await write(url, space, loser, base, 0.5);
  await write(url, space, winner, vectorAtCosine(base, 0.97, seedOf(winner)), 0.9);
  await write(url, space, kept, vectorFor(kept), 1);
  const client = new EngramClient({ url, maxRetries: 2 });
  const reader = new EngramSampleReader(client, { capacityPerSpace: 100_000 });
  try {
    const ids = [loser, winner, kept];
    const sample = new TargetSample(ids.map((id) => ({ space, id })));
    await reader.read(sample, [space]);
    const listed = new Set((await client.listMemories(space, 0, 1000, false)).memories.map((m) => m.id));
    const loserStatus = (await call(url, 'GET', `/api/v1/memories/${loser}?space=${space}`)).status;
    return {
      present: Object.fromEntries(ids.map((id, row) => [id.slice(prefix.length), sample.present[row] !== 0])),
      embeddingRead: Object.fromEntries(ids.map((id, row) => [id.slice(prefix.length), sample.present[row] === PRESENT])),
      loserStatus,
      loserListed: listed.has(loser),
    };
  } finally {
    await reader.close();
  }
}

/**
 * A space nobody has used yet: what a dry run's count (`loadedOnly`) and a real count of it do. Returns
 * whether the server listed it as loaded before, after the dry run's count and after the real count.
 */
export async function unusedSpaceCounts(
  url: string,
  space: string,
): Promise<{ loadedBefore: boolean; dryRunCounts: Array<[string, number]>; loadedAfterDryRun: boolean; count: number; loadedAfterCount: boolean }> {
  const target = new EngramTarget({ url, maxRetries: 2, capacityPerSpace: 100_000 });
  const client = new EngramClient({ url, maxRetries: 2 });
  try {
    const loadedBefore = (await client.loadedSpaces()).has(space);
    const dryRunCounts = [...(await target.spaceCounts([space, 'default'], true))];
    const loadedAfterDryRun = (await client.loadedSpaces()).has(space);
    const count = (await target.spaceCounts([space])).get(space)!;
    return { loadedBefore, dryRunCounts, loadedAfterDryRun, count, loadedAfterCount: (await client.loadedSpaces()).has(space) };
  } finally {
    await client.close();
    await target.close();
  }
}
