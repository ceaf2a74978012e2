import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { planBackfill } from '../../../src/engine/plan.js';
import type { Neo4jSource } from '../../../src/source/neo4j-source.js';
import type { Target } from '../../../src/target/target.js';

/** A source that only answers the planner's questions: label → node count, no constraints, no duplicates. */
function fakeSource(nodes: Record<string, number>): Neo4jSource {
  return {
    labels: async () => Object.keys(nodes),
    constraints: async () => [],
    countNodes: async (scope: { label: string }) => nodes[scope.label]!,
    countRelationships: async () => 0,
    countMissing: async () => 0,
    propertyTypes: async () => ({ name: ['STRING'] }),
    duplicates: async () => [],
    distinctTexts: async (scope: { label: string }) => ({ nodes: nodes[scope.label]!, distinct: nodes[scope.label]! }),
  } as unknown as Neo4jSource;
}

function fakeTarget(capacityPerSpace: number | null): Target & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    capabilities: { edges: false, dedup: true, capacityPerSpace, checkpointDuringWrites: true },
    spaceCounts: async (spaces: readonly string[]) => (asked.push(...spaces), new Map(spaces.map((s) => [s, 0]))),
  } as unknown as Target & { asked: string[] };
}

describe('planning shards', () => {
  it('accepts a 10,000,000-node label spread over 125 shards of 0.8 × 100,000 each', async () => {
    const target = fakeTarget(100_000);
    const { plan } = await planBackfill(fakeSource({ Person: 10_000_000, Tag: 50 }), target, resolveConfig({ target: { kind: 'engram' } }), null);
    const person = plan.labels.find((l) => l.label === 'Person')!;
    expect(person).toMatchObject({ space: 'person', shards: 125 });
    expect(plan.labels.find((l) => l.label === 'Tag')).toMatchObject({ space: 'tag', shards: 1 });
    const shards = plan.spaces.filter((s) => s.labels.includes('Person'));
    expect(shards.map((s) => s.space)).toEqual(Array.from({ length: 125 }, (_, n) => `person-${n}`));
    expect(shards.every((s) => s.planned === 80_000 && !s.overflow)).toBe(true);
    expect(plan.spaces.find((s) => s.space === 'tag')).toMatchObject({ planned: 50 });
    // Capacity is asked of every shard, not of the label's base space.
    expect(target.asked).toContain('person-124');
    expect(target.asked).not.toContain('person');
  });

  it('shards a label listed in mapping.shards however small, and refuses when one shard still overflows', async () => {
    const config = resolveConfig({ mapping: { shards: { Tag: 3 } }, target: { kind: 'engram', capacityPerSpace: 120 } });
    const { plan } = await planBackfill(fakeSource({ Tag: 10 }), fakeTarget(120), config, null);
    expect(plan.labels[0]).toMatchObject({ shards: 3 });
    const tooFew = resolveConfig({ mapping: { shards: { Tag: 2 } }, target: { kind: 'engram', capacityPerSpace: 120 } });
    await expect(planBackfill(fakeSource({ Tag: 500 }), fakeTarget(120), tooFew, null)).rejects.toMatchObject({ code: 'CAPACITY_EXCEEDED' });
  });

  it('honours target.shardFill', async () => {
    const config = resolveConfig({ target: { kind: 'engram', capacityPerSpace: 120, shardFill: 0.5 } });
    const { plan } = await planBackfill(fakeSource({ Person: 500 }), fakeTarget(120), config, null);
    expect(plan.labels[0]).toMatchObject({ shards: 9 });
  });

  it('refuses a space too long to carry a shard suffix, naming the option', async () => {
    const space = 'p'.repeat(63);
    const config = resolveConfig({ mapping: { spaces: { Person: space } }, target: { kind: 'engram', capacityPerSpace: 120 } });
    await expect(planBackfill(fakeSource({ Person: 500 }), fakeTarget(120), config, null)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      path: 'mapping.spaces.Person',
    });
  });

  it('rejects a bad shard option by name', () => {
    expect(() => resolveConfig({ mapping: { shards: { Person: 0 } } })).toThrow(expect.objectContaining({ path: 'mapping.shards.Person' }));
    expect(() => resolveConfig({ target: { shardFill: 1.5 } })).toThrow(expect.objectContaining({ path: 'target.shardFill' }));
  });
});
