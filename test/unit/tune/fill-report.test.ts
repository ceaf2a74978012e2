import { describe, expect, it } from 'vitest';
import { fitFillModel, projectFill } from '../../../src/tune/fill-model.js';
import type { FillProbeResult } from '../../../src/tune/fill-probe.js';
import { fillReport, formatFillReport } from '../../../src/tune/fill-report.js';

/** A probe on the line the real server was measured on (250/s empty, 40/s at 20k), spaces costing 4 s. */
function probe(): FillProbeResult {
  const a = 1 / 250;
  const b = (1 / 40 - 1 / 250) / 20_000;
  const points = [1_000, 2_000, 3_000, 4_000].map((fill) => ({ fill, writes: 1_000, seconds: 1_000 * (a + b * fill), writesPerSecond: 1 / (a + b * fill) }));
  const model = fitFillModel(points);
  return {
    space: 'tune-x-fill',
    budget: 5_000,
    firstWriteSeconds: 4.1,
    spaceCostSeconds: 4,
    concurrency: [{ concurrency: 16, writesPerSecond: 240 }],
    bestConcurrency: 16,
    points,
    model,
    writes: 5_000,
    durationMs: 40_000,
  };
}

describe('fillReport', () => {
  it('projects the counted graph in one space and 10M nodes at the plan minimum and within --max-spaces', () => {
    const p = probe();
    const r = fillReport(p, { projectedNodes: 50_000, capacityPerSpace: 100_000, shardFill: 0.8, maxSpaces: 200 });
    expect(r.maxShardSize).toBe(80_000);
    expect(r.projections[0]).toMatchObject({ nodes: 50_000, layout: 'one space', shards: 1 });
    const tenM = r.projections.filter((x) => x.nodes === 10_000_000);
    expect(tenM[0]).toMatchObject({ layout: 'plan minimum', shards: 125 });
    expect(tenM[0]!.seconds).toBeCloseTo(projectFill(p.model, 10_000_000, 125, 4).seconds, 6);
    // √(2c/b) ≈ 3,000 per space would need ~3,300 spaces: capped at 200 spaces of 50,000.
    expect(r.shardSize.shardSize).toBeLessThan(5_000);
    expect(tenM[1]).toMatchObject({ layout: 'recommended (capped at 200 spaces)', shards: 200, perShard: 50_000 });
    expect(tenM[1]!.seconds).toBeLessThan(tenM[0]!.seconds);
    expect(r.bySize.every((x) => x.nodes === 10_000_000)).toBe(true);
    const text = formatFillReport(r).join('\n');
    expect(text).toContain('projection 10000000 nodes, plan minimum: 125 spaces of 80000 → ');
    expect(text).toMatch(/shards of 1000: 10000 spaces → [\d.]+ h \(over --max-spaces\)/);
  });

  it('leaves the one-space layout alone when the advice is not smaller', () => {
    const r = fillReport(probe(), { projectedNodes: 2_000, capacityPerSpace: 100_000, shardFill: 0.8 });
    expect(r.projections.filter((x) => x.nodes === 2_000)).toHaveLength(1);
    expect(r.maxSpaces).toBe(128);
  });
});
