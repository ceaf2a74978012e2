/**
 * The fill curve of an Engram space, as pure arithmetic: the real server compares each write with every
 * memory of its space, so the time of one write grows linearly with the space's fill. The model is
 * `secondsPerWrite(fill) = a + b × fill` (so writes/s = 1 / (a + b × fill)), fitted by least squares on
 * measured points; from it follow the time to fill a space, the shard size that balances the fixed cost
 * of a new space against the slower writes of a fuller one, and the time of a whole run.
 */

/** Writes/s measured over one step of filling: `fill` is the space's fill at the middle of the step. */
export interface FillPoint {
  fill: number;
  writes: number;
  seconds: number;
  writesPerSecond: number;
}

export interface FillModel {
  /** a: seconds per write into an empty space (server time at the measured concurrency). */
  secondsPerWrite0: number;
  /** b: extra seconds per write for each memory already in the space. */
  secondsPerWritePerMemory: number;
  /** Coefficient of determination of the fit on 1/rate (1 = every point on the line). */
  r2: number;
  /** Largest |predicted rate − measured rate| / measured rate over the points. */
  maxRelError: number;
  points: number;
}

/** Writes/s the model predicts at a fill. */
export function rateAt(model: FillModel, fill: number): number {
  return 1 / (model.secondsPerWrite0 + model.secondsPerWritePerMemory * fill);
}

/** Fits `1/rate = a + b × fill` on the points (least squares); a slope under 0 (noise on a flat curve) becomes 0. */
export function fitFillModel(points: readonly FillPoint[]): FillModel {
  const usable = points.filter((p) => p.writesPerSecond > 0 && Number.isFinite(p.writesPerSecond));
  if (usable.length < 2) throw new Error(`a fill curve needs at least 2 measured points, got ${usable.length}`);
  const xs = usable.map((p) => p.fill);
  const ys = usable.map((p) => 1 / p.writesPerSecond);
  const n = usable.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const sxy = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0);
  let b = sxx > 0 ? sxy / sxx : 0;
  let a = my - b * mx;
  if (b < 0 || a <= 0) {
    b = Math.max(0, b);
    a = b === 0 ? my : Math.max(my - b * mx, Number.EPSILON);
  }
  const syy = ys.reduce((s, y) => s + (y - my) ** 2, 0);
  const sse = ys.reduce((s, y, i) => s + (y - (a + b * xs[i]!)) ** 2, 0);
  const model: FillModel = { secondsPerWrite0: a, secondsPerWritePerMemory: b, r2: syy > 0 ? 1 - sse / syy : 1, maxRelError: 0, points: n };
  model.maxRelError = Math.max(...usable.map((p) => Math.abs(rateAt(model, p.fill) - p.writesPerSecond) / p.writesPerSecond));
  return model;
}

/** Seconds to take one space from `from` to `to` memories: the integral of a + b × fill. */
export function secondsToFill(model: FillModel, from: number, to: number): number {
  return model.secondsPerWrite0 * (to - from) + (model.secondsPerWritePerMemory * (to * to - from * from)) / 2;
}

/** The fill at which writes run at half the empty-space rate (a / b); Infinity on a flat curve. */
export function halfRateFill(model: FillModel): number {
  return model.secondsPerWritePerMemory > 0 ? model.secondsPerWrite0 / model.secondsPerWritePerMemory : Number.POSITIVE_INFINITY;
}

export interface ShardSizeAdvice {
  shardSize: number;
  reason: string;
}

/**
 * The shard size that minimises the run's time: N nodes in shards of s cost N/s × c (c: seconds to
 * create a space) + N × a + N × b × s / 2, least at s = √(2c / b). Clamped to [minSize, maxSize]
 * (maxSize: the fill the plan allows per space, shardFill × capacity).
 */
export function recommendShardSize(model: FillModel, spaceCostSeconds: number, maxSize: number, minSize = 1_000): ShardSizeAdvice {
  const b = model.secondsPerWritePerMemory;
  if (b <= 0) return { shardSize: maxSize, reason: 'writes did not slow as the space filled: the largest shard the plan allows' };
  const c = Math.max(spaceCostSeconds, 0);
  const best = Math.round(Math.sqrt((2 * c) / b));
  if (best > maxSize) return { shardSize: maxSize, reason: `√(2c/b) = ${best} exceeds the plan's largest shard (${maxSize})` };
  if (best < minSize)
    return {
      shardSize: Math.min(minSize, maxSize),
      reason: `√(2c/b) = ${best} is under ${minSize}; more spaces than that cost memory (about 3 GB of mapped pages each)`,
    };
  return { shardSize: best, reason: `√(2c/b): a new space costs ${c.toFixed(1)} s, each memory in a space adds ${(b * 1e6).toFixed(2)} µs per write` };
}

export interface FillProjection {
  nodes: number;
  shards: number;
  perShard: number;
  seconds: number;
  /** Mean writes/s over the whole run. */
  writesPerSecond: number;
}

/**
 * A run of `nodes` writes spread evenly over `shards` spaces, on one server whose time per write is the
 * model's (measured at the best concurrency, so the server is the bottleneck and shards written side by
 * side share it): shards × (c + time to fill one shard).
 */
export function projectFill(model: FillModel, nodes: number, shards: number, spaceCostSeconds: number): FillProjection {
  const n = Math.max(1, Math.ceil(shards));
  const perShard = nodes / n;
  const seconds = n * (Math.max(spaceCostSeconds, 0) + secondsToFill(model, 0, perShard));
  return { nodes, shards: n, perShard: Math.ceil(perShard), seconds, writesPerSecond: seconds > 0 ? nodes / seconds : 0 };
}

/** Steps of a fill run: `segments` equal steps ending at `budget` (the last one at `budget` exactly). */
export function fillSteps(from: number, budget: number, segments: number): number[] {
  const span = budget - from;
  if (span <= 0 || segments < 1) return [];
  return Array.from({ length: segments }, (_, i) => from + Math.round((span * (i + 1)) / segments)).filter((v, i, a) => v > from && (i === 0 || v > a[i - 1]!));
}

/** A completion count at a time (ms since the run's start). */
export interface DoneEvent {
  atMs: number;
  done: number;
}

/**
 * Writes/s per step from a run's progress events: a step runs from the first event at or past its start
 * to the first event at or past its end; its fill is the middle of the step, divided by `shards` (writes
 * spread evenly over shards fill each one at 1/shards of the rate). Steps no event reached are left out.
 */
export function curveFromEvents(events: readonly DoneEvent[], ends: readonly number[], start: DoneEvent = { atMs: 0, done: 0 }, shards = 1): FillPoint[] {
  const points: FillPoint[] = [];
  let from = start;
  for (const end of ends) {
    const to = events.find((e) => e.done >= end && e.done > from.done);
    if (!to) break;
    const writes = to.done - from.done;
    const seconds = (to.atMs - from.atMs) / 1000;
    if (seconds > 0) points.push({ fill: Math.round((from.done + to.done) / 2 / shards), writes, seconds, writesPerSecond: writes / seconds });
    from = to;
  }
  return points;
}

export interface ConcurrencyRate {
  concurrency: number;
  writesPerSecond: number;
}

/** The fewest connections whose rate is within `tolerance` of the fastest (more only adds queueing). */
export function chooseConcurrency(rates: readonly ConcurrencyRate[], tolerance = 0.1): ConcurrencyRate {
  if (rates.length === 0) throw new Error('no concurrency was measured');
  const fastest = Math.max(...rates.map((r) => r.writesPerSecond));
  return [...rates].sort((x, y) => x.concurrency - y.concurrency).find((r) => r.writesPerSecond >= fastest * (1 - tolerance))!;
}
