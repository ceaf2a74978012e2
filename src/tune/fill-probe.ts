/**
 * Measures an Engram server's fill curve: writes synthetic memories (distinct random 768-d vectors, so
 * nothing is dropped as a near-duplicate) into one scratch space, first to time the space's creation
 * (its first write), then to compare connection counts side by side, then at the best count up to the
 * fill budget, recording writes/s per step. The arithmetic is in fill-model.ts.
 */
import type { EngramClient } from '../target/engram-client.js';
import {
  chooseConcurrency,
  curveFromEvents,
  fillSteps,
  fitFillModel,
  type ConcurrencyRate,
  type DoneEvent,
  type FillModel,
  type FillPoint,
} from './fill-model.js';

export interface FillProbeOptions {
  client: EngramClient;
  space: string;
  /** Memories the scratch space holds at the end. */
  budget: number;
  /** Connection counts to compare (the client must have at least the largest as connections). */
  concurrency: readonly number[];
  /** Writes per connection count in the comparison (default budget / 10, at most 300). */
  probeWrites?: number;
  /** Steps of the curve (default 8). */
  segments?: number;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
  /** The request body of write `i` (default: {@link syntheticMemory}). */
  body?: (i: number) => string;
}

export interface FillProbeResult {
  space: string;
  budget: number;
  /** Seconds of the first write into the new space (its creation). */
  firstWriteSeconds: number;
  /** The first write's seconds less an ordinary write's: what each new space (shard) costs. */
  spaceCostSeconds: number;
  concurrency: ConcurrencyRate[];
  bestConcurrency: number;
  points: FillPoint[];
  model: FillModel;
  writes: number;
  durationMs: number;
}

/** Smallest budget that leaves room for a comparison and a curve. */
export const MIN_FILL_BUDGET = 200;

/** A remember body with a seeded Gaussian 768-d vector: distinct per `i`, cosine near 0 between any two. */
export function syntheticMemory(i: number, prefix = 'tune-fill'): string {
  let s = (Math.imul(i + 1, 2654435761) ^ 0x9e3779b9) >>> 0 || 1;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  const embedding = Array.from({ length: 768 }, () => Number((Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())).toFixed(5)));
  return JSON.stringify({ id: `${prefix}-${i}`, content: `${prefix} memory ${i}`, embedding, confidence: 0.7 });
}

/**
 * Sends writes `from` … `to − 1` over `concurrency` loops; `onDone` sees each completion. Returns ms taken.
 */
export async function writeRange(
  client: EngramClient,
  space: string,
  body: (i: number) => string,
  from: number,
  to: number,
  concurrency: number,
  onDone?: (done: number) => void,
  signal?: AbortSignal,
): Promise<number> {
  const started = performance.now();
  let next = from;
  let done = 0;
  const loop = async (): Promise<void> => {
    while (next < to && !signal?.aborted) {
      const i = next++;
      await client.remember(space, body(i), signal);
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, loop));
  return performance.now() - started;
}

/**
 * Connection counts compared side by side: `rounds` rounds, each giving every count an equal share of
 * `writes`, so the space's growth during the comparison weighs on every count alike.
 */
async function compareConcurrency(
  o: FillProbeOptions,
  body: (i: number) => string,
  start: number,
  writes: number,
  rounds: number,
): Promise<{ rates: ConcurrencyRate[]; end: number }> {
  const per = Math.max(1, Math.floor(writes / rounds));
  const ms = new Map<number, number>(o.concurrency.map((c) => [c, 0]));
  const count = new Map<number, number>(o.concurrency.map((c) => [c, 0]));
  let i = start;
  for (let r = 0; r < rounds && !o.signal?.aborted; r++) {
    for (const c of o.concurrency) {
      ms.set(c, ms.get(c)! + (await writeRange(o.client, o.space, body, i, i + per, c, undefined, o.signal)));
      count.set(c, count.get(c)! + per);
      i += per;
    }
  }
  const rates = o.concurrency.map((c) => ({ concurrency: c, writesPerSecond: ms.get(c)! > 0 ? count.get(c)! / (ms.get(c)! / 1000) : 0 }));
  return { rates, end: i };
}

/** Runs the probe. Throws on a write the server refuses (the client retries transient failures). */
export async function probeFill(o: FillProbeOptions): Promise<FillProbeResult> {
  const started = performance.now();
  const log = o.onLog ?? (() => undefined);
  const body = o.body ?? ((i: number) => syntheticMemory(i));
  if (o.budget < MIN_FILL_BUDGET) throw new Error(`fill budget ${o.budget} is under ${MIN_FILL_BUDGET}`);
  const firstWriteSeconds = (await writeRange(o.client, o.space, body, 0, 1, 1, undefined, o.signal)) / 1000;
  log(`fill: first write into ${o.space} (space creation) took ${firstWriteSeconds.toFixed(2)} s`);
  const probeWrites = o.probeWrites ?? Math.min(300, Math.floor(o.budget / 10));
  const { rates, end } = await compareConcurrency(o, body, 1, probeWrites, 3);
  const best = chooseConcurrency(rates);
  log(`fill: connections ${rates.map((r) => `${r.concurrency}: ${Math.round(r.writesPerSecond)}/s`).join(', ')} → ${best.concurrency}`);
  const events: DoneEvent[] = [];
  const curveStart = performance.now();
  const steps = fillSteps(end, o.budget, o.segments ?? 8);
  let lastLogged = 0;
  await writeRange(
    o.client,
    o.space,
    body,
    end,
    o.budget,
    best.concurrency,
    (done) => {
      events.push({ atMs: performance.now() - curveStart, done: end + done });
      if (end + done >= (steps[lastLogged] ?? Number.POSITIVE_INFINITY)) log(`fill: ${steps[lastLogged++]}/${o.budget} memories in ${o.space}`);
    },
    o.signal,
  );
  const points = curveFromEvents(events, steps, { atMs: 0, done: end });
  const model = fitFillModel(points);
  // An ordinary write at fill 0, at one connection, is a × best concurrency at most; a is the server's time per write at the best count.
  const spaceCostSeconds = Math.max(0, firstWriteSeconds - model.secondsPerWrite0 * best.concurrency);
  return {
    space: o.space,
    budget: o.budget,
    firstWriteSeconds,
    spaceCostSeconds,
    concurrency: rates,
    bestConcurrency: best.concurrency,
    points,
    model,
    writes: events.at(-1)?.done ?? end,
    durationMs: performance.now() - started,
  };
}
