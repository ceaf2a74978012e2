import { describe, expect, it } from 'vitest';
import {
  chooseConcurrency,
  curveFromEvents,
  fillSteps,
  fitFillModel,
  halfRateFill,
  projectFill,
  rateAt,
  recommendShardSize,
  secondsToFill,
  type FillPoint,
} from '../../../src/tune/fill-model.js';

/** Points exactly on 1/rate = a + b × fill. */
function linePoints(a: number, b: number, fills: number[]): FillPoint[] {
  return fills.map((fill) => ({ fill, writes: 100, seconds: 100 * (a + b * fill), writesPerSecond: 1 / (a + b * fill) }));
}

describe('fitFillModel', () => {
  it('recovers a and b from points on the line the real server follows (250/s empty, 40/s at 20k)', () => {
    const a = 1 / 250;
    const b = (1 / 40 - 1 / 250) / 20_000;
    const model = fitFillModel(linePoints(a, b, [500, 2_000, 5_000, 10_000, 20_000]));
    expect(model.secondsPerWrite0).toBeCloseTo(a, 8);
    expect(model.secondsPerWritePerMemory).toBeCloseTo(b, 12);
    expect(model.r2).toBeCloseTo(1, 9);
    expect(model.maxRelError).toBeLessThan(1e-9);
    expect(rateAt(model, 20_000)).toBeCloseTo(40, 6);
  });

  it('turns a falling slope (noise on a flat curve) into a flat model with the mean time', () => {
    const pts: FillPoint[] = [
      { fill: 100, writes: 10, seconds: 1, writesPerSecond: 100 },
      { fill: 200, writes: 10, seconds: 1, writesPerSecond: 110 },
    ];
    const model = fitFillModel(pts);
    expect(model.secondsPerWritePerMemory).toBe(0);
    expect(model.secondsPerWrite0).toBeCloseTo((1 / 100 + 1 / 110) / 2, 12);
    expect(halfRateFill(model)).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses fewer than two usable points, saying how many it had', () => {
    expect(() => fitFillModel(linePoints(0.01, 0, [10]))).toThrow(/at least 2 measured points, got 1/);
  });
});

describe('secondsToFill, projectFill and recommendShardSize', () => {
  const model = fitFillModel(linePoints(0.004, 1e-6, [0, 10_000, 20_000]));

  it('integrates a + b × fill', () => {
    expect(secondsToFill(model, 0, 1_000)).toBeCloseTo(0.004 * 1_000 + (1e-6 * 1_000_000) / 2, 6);
    expect(secondsToFill(model, 500, 1_000)).toBeCloseTo(secondsToFill(model, 0, 1_000) - secondsToFill(model, 0, 500), 9);
    expect(halfRateFill(model)).toBeCloseTo(4_000, 3);
  });

  it('projects shards × (space cost + time to fill one shard), so sharding a large run pays while spaces are cheap', () => {
    const one = projectFill(model, 100_000, 1, 4);
    expect(one.seconds).toBeCloseTo(4 + 0.004 * 100_000 + (1e-6 * 1e10) / 2, 3);
    const ten = projectFill(model, 100_000, 10, 4);
    expect(ten.perShard).toBe(10_000);
    expect(ten.seconds).toBeCloseTo(10 * (4 + 0.004 * 10_000 + (1e-6 * 1e8) / 2), 3);
    expect(ten.seconds).toBeLessThan(one.seconds);
    expect(ten.writesPerSecond).toBeCloseTo(100_000 / ten.seconds, 9);
  });

  it('recommends √(2c/b) clamped to the plan: the minimum of the projected time over shard sizes', () => {
    const advice = recommendShardSize(model, 4, 80_000);
    expect(advice.shardSize).toBe(Math.round(Math.sqrt(8 / 1e-6)));
    const time = (s: number): number => projectFill(model, 1_000_000, 1_000_000 / s, 4).seconds;
    expect(time(advice.shardSize)).toBeLessThanOrEqual(time(advice.shardSize / 2));
    expect(time(advice.shardSize)).toBeLessThanOrEqual(time(advice.shardSize * 2));
    expect(recommendShardSize(model, 4, 1_500).shardSize).toBe(1_500);
    expect(recommendShardSize(model, 0, 80_000, 1_000).shardSize).toBe(1_000);
    expect(recommendShardSize(fitFillModel(linePoints(0.004, 0, [0, 1]))!, 4, 80_000).shardSize).toBe(80_000);
  });
});

describe('fillSteps and curveFromEvents', () => {
  it('splits a fill run into equal steps ending at the budget', () => {
    expect(fillSteps(0, 1_000, 4)).toEqual([250, 500, 750, 1_000]);
    expect(fillSteps(100, 103, 8)).toEqual([101, 102, 103]);
    expect(fillSteps(500, 500, 4)).toEqual([]);
  });

  it('measures each step between the events that reach its ends, at the step’s middle fill per shard', () => {
    const events = Array.from({ length: 100 }, (_, i) => ({ atMs: (i + 1) * (i < 50 ? 10 : 20), done: (i + 1) * 10 }));
    const pts = curveFromEvents(events, [500, 1_000], { atMs: 0, done: 0 }, 2);
    expect(pts).toHaveLength(2);
    expect(pts[0]).toMatchObject({ fill: 125, writes: 500 });
    expect(pts[0]!.writesPerSecond).toBeCloseTo(1_000, 6);
    expect(pts[1]!.writes).toBe(500);
    expect(pts[1]!.writesPerSecond).toBeLessThan(pts[0]!.writesPerSecond);
    expect(curveFromEvents(events, [2_000])).toEqual([]);
  });
});

describe('chooseConcurrency', () => {
  it('takes the fewest connections within the tolerance of the fastest', () => {
    const rates = [
      { concurrency: 4, writesPerSecond: 150 },
      { concurrency: 16, writesPerSecond: 240 },
      { concurrency: 64, writesPerSecond: 250 },
    ];
    expect(chooseConcurrency(rates).concurrency).toBe(16);
    expect(chooseConcurrency(rates, 0).concurrency).toBe(64);
    expect(() => chooseConcurrency([])).toThrow(/no concurrency/);
  });
});
