/**
 * Test helpers for the Engram TEST DOUBLE's own tests: a small fetch client and vectors with an exact,
 * chosen cosine to each other.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { fillGaussian, startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';

/**
 * One in-process double for a test file: started before its tests, stopped after them, and given an
 * empty store, no faults and zeroed counters before each test. Returns a stand-in whose members reach the
 * running double (methods bound to it).
 */
export function sharedDouble(): EngramDouble {
  let instance: EngramDouble | undefined;
  beforeAll(async () => {
    instance = await startEngramDouble();
  });
  afterAll(async () => {
    await instance?.stop();
  });
  beforeEach(() => {
    instance!.store.clear();
    instance!.setFaults(null);
    instance!.resetStats();
  });
  return new Proxy({} as EngramDouble, {
    get: (_, key) => {
      const value: unknown = Reflect.get(instance!, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(instance) : value;
    },
  });
}

/** An answer read fully. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: any;
}

/** Options of one call. */
export interface CallOptions {
  body?: unknown;
  /** Sent as is instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Call the double and read the whole answer. */
export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POST /api/v1/memories/remember with `body`. */
export function remember(base: string, body: Record<string, unknown>, headers?: Record<string, string>, query = ''): Promise<Reply> {
  return call(base, 'POST', `/api/v1/memories/remember${query}`, headers === undefined ? { body } : { body, headers });
}

function normalise(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

/** A random unit vector of width `dim` (seeded). */
export function unitVector(seed: number, dim = 768): number[] {
  const rng = xoroshiro128plus(seed);
  const out = new Float32Array(dim);
  fillGaussian(out, () => uniformFloat64(rng));
  return normalise(Array.from(out));
}

/** A unit vector whose cosine with unit vector `base` is exactly `cos` (up to rounding). */
export function vectorAtCosine(base: number[], cos: number, seed: number): number[] {
  const z = unitVector(seed, base.length);
  const proj = z.reduce((s, x, i) => s + x * base[i]!, 0);
  const orth = normalise(z.map((x, i) => x - proj * base[i]!));
  return base.map((b, i) => cos * b + Math.sqrt(1 - cos * cos) * orth[i]!);
}

/** Cosine of two vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}
