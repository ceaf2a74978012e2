import { stableJson } from '../shared/stable-json.js';
import { batchTooLarge, MAX_BATCH_BYTES, type PackedRecords } from '../shared/record-buffers.js';
import type { EdgeRecord } from './types.js';
import type { MappedNode } from './node-mapper.js';

/**
 * How a memory is written out. `engram-json` is the body of Engram's `POST /api/v1/memories/remember`;
 * `bundle-ndjson` is one line of a bundle, with the embedding as base64 of little-endian float32 (exact,
 * and several times faster to write and read than decimal text).
 */
export type MemoryEncoding = 'engram-json' | 'bundle-ndjson';

/** One bundle line, as read back. */
export interface BundleMemoryLine {
  id: string;
  memory_space_id: string;
  content: string;
  embedding_f32: string;
  confidence: number;
  timestamp: string;
  memory_type: string;
  label: string;
  strength: number;
  last_accessed: string;
  embedding_source: 'copied' | 'generated';
}

function float32Base64(row: Float32Array): string {
  return Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('base64');
}

/** Decodes a bundle line's embedding into `out` (or a new array). */
export function decodeEmbedding(base64: string, out?: Float32Array): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const target = out ?? new Float32Array(bytes.length / 4);
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes.subarray(0, target.byteLength));
  return target;
}

/**
 * An embedding as comma-joined decimals. A `Float32Array` is printed with {@link joinFloat32} (nine
 * significant digits: parses back to the same float32, a third shorter and about 3× faster than
 * `join(',')`); any other array exactly as `join(',')` prints it (the shortest text of each double).
 */
export function joinNumbers(values: ArrayLike<number>): string {
  if (values instanceof Float32Array) return joinFloat32(values);
  let text = values.length > 0 ? String(values[0]) : '';
  for (let i = 1; i < values.length; i++) text += ',' + values[i];
  return text;
}

const POWERS_OF_TEN = Array.from({ length: 24 }, (_, k) => Number(`1e${k}`));
/** Longest component: sign, "0.0000" and nine digits, or toPrecision's "-1.23456789e-40"; plus the comma. */
const MAX_COMPONENT_BYTES = 18;
let scratch = Buffer.allocUnsafe(768 * MAX_COMPONENT_BYTES);
/** ASCII of 00..99: the pair for r at [2r, 2r+1]. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

/** floor(log10(a)) for 1e-5 ≤ a < 1e9, by comparisons (a third of putFloat32's time went to Math.log10). */
function decimalExponent(a: number): number {
  if (a < 1) return a >= 0.1 ? -1 : a >= 0.01 ? -2 : a >= 0.001 ? -3 : a >= 1e-4 ? -4 : -5;
  let d = 0;
  while (d < 8 && a >= POWERS_OF_TEN[d + 1]!) d++;
  return d;
}

/** Writes the `count` low decimal digits of `n` (an integer below 2^31) so that they end at `end`, two at a time. */
function putDigits(n: number, out: Buffer, end: number, count: number): void {
  let q = end;
  for (; count >= 2; count -= 2) {
    const high = (n / 100) | 0;
    const r = 2 * (n - high * 100);
    out[--q] = DIGIT_PAIRS[r + 1]!;
    out[--q] = DIGIT_PAIRS[r]!;
    n = high;
  }
  if (count === 1) out[--q] = 48 + n;
}

/**
 * Writes `x`, a float32 value, as decimal ASCII at `pos` and returns the end: nine significant digits
 * (always enough for a float32 to parse back to itself), trailing zeros dropped, plain notation for
 * 1e-5 ≤ |x| < 1e9 (every embedding component in practice), `toPrecision(9)` otherwise.
 */
function putFloat32(x: number, out: Buffer, pos: number): number {
  let p = pos;
  if (x === 0) {
    out[p++] = 48; // -0 prints as 0, as join(',') does
    return p;
  }
  const a = x < 0 ? -x : x;
  if (!(a >= 1e-5 && a < 1e9)) {
    const text = x.toPrecision(9);
    for (let i = 0; i < text.length; i++) out[p++] = text.charCodeAt(i);
    return p;
  }
  if (x < 0) out[p++] = 45;
  // n: the nine leading digits of a, d: the decimal exponent of the first. a × 10^k with k ≤ 13 and a
  // float32 is within one unit of the ninth digit, far inside a float32's half-ulp (≥ 3e-8 relative).
  let d = decimalExponent(a);
  let n = d <= 8 ? Math.round(a * POWERS_OF_TEN[8 - d]!) : Math.round(a / POWERS_OF_TEN[d - 8]!);
  if (n >= 1e9) {
    // a rounded up to the next power of ten
    n = Math.round(n / 10);
    d++;
  }
  let digits = 9;
  for (let tenth = (n / 10) | 0; digits > 1 && n === tenth * 10; tenth = (n / 10) | 0) {
    n = tenth;
    digits--;
  }
  if (d < 0) {
    out[p++] = 48; // "0."
    out[p++] = 46;
    for (let z = -d - 1; z > 0; z--) out[p++] = 48;
    putDigits(n, out, p + digits, digits);
    return p + digits;
  }
  const whole = d + 1;
  if (digits <= whole) {
    putDigits(n, out, p + digits, digits);
    p += digits;
    for (let z = whole - digits; z > 0; z--) out[p++] = 48;
    return p;
  }
  const fraction = digits - whole;
  const high = Math.floor(n / POWERS_OF_TEN[fraction]!);
  putDigits(high, out, p + whole, whole);
  out[p + whole] = 46;
  putDigits(n - high * POWERS_OF_TEN[fraction]!, out, p + digits + 1, fraction);
  return p + digits + 1;
}

/**
 * A float32 embedding as comma-joined decimals that parse back to exactly the same float32 values
 * (JSON, Cypher's toFloat): nine significant digits each, written into one buffer. 768 components take
 * ~50 µs and ~10.4 KB, against ~160 µs and ~16 KB for `join(',')`, which prints every float32 widened
 * to a 17-digit double (measured here; the live dual writer prints one per write).
 */
export function joinFloat32(values: Float32Array): string {
  if (scratch.length < values.length * MAX_COMPONENT_BYTES) scratch = Buffer.allocUnsafe(values.length * MAX_COMPONENT_BYTES);
  return scratch.toString('latin1', 0, putFloat32List(values, scratch, 0));
}

/** Writes `values` comma-joined at `pos` (at most MAX_COMPONENT_BYTES each) and returns the end. */
function putFloat32List(values: Float32Array, out: Buffer, pos: number): number {
  let p = pos;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out[p++] = 44;
    p = putFloat32(values[i]!, out, p);
  }
  return p;
}

type RequestNode = Pick<MappedNode, 'id' | 'space' | 'content' | 'timestamp' | 'memoryType'>;

/** Engram's remember request around its embedding's numbers: the JSON before them and after them. */
function engramRequestParts(node: RequestNode, strength: number): [head: string, tail: string] {
  return [
    `{"id":${JSON.stringify(node.id)},"memory_space_id":${JSON.stringify(node.space)},"content":${JSON.stringify(node.content)},"embedding":[`,
    `],"confidence":${strength},"timestamp":${JSON.stringify(node.timestamp)},"memory_type":${JSON.stringify(node.memoryType)}}`,
  ];
}

/** Engram's remember request for a memory (strength is Engram's `confidence`; created_at its `timestamp`). */
export function engramRequest(node: RequestNode, embedding: ArrayLike<number>, strength: number): string {
  // JSON.stringify of a Float32Array gives an object; numbers are written as the float32 values widened to double.
  const [head, tail] = engramRequestParts(node, strength);
  return head + joinNumbers(embedding) + tail;
}

/**
 * The remember requests of `count` memories packed into one byte array, each byte for byte what
 * {@link engramRequest} returns, with the numbers written straight into place: no ~10 KB string per memory,
 * which was the pool's largest garbage (and copied twice more on its way into the batch's bytes).
 */
export function packEngramRequests(count: number, memory: (i: number) => { node: RequestNode; embedding: Float32Array; strength: number }): PackedRecords {
  const parts: Array<[string, string]> = new Array(count);
  const embeddings: Float32Array[] = new Array(count);
  /** Per record, the most bytes it can take (its numbers at their longest). */
  const most = new Float64Array(count);
  let bound = 0;
  for (let i = 0; i < count; i++) {
    const m = memory(i);
    parts[i] = engramRequestParts(m.node, m.strength);
    embeddings[i] = m.embedding;
    most[i] = Buffer.byteLength(parts[i]![0]) + Buffer.byteLength(parts[i]![1]) + m.embedding.length * MAX_COMPONENT_BYTES;
    bound += most[i]!;
  }
  const out = Buffer.allocUnsafeSlow(Math.min(bound, MAX_BATCH_BYTES + 1));
  const offsets = new Uint32Array(count + 1);
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + most[i]! > MAX_BATCH_BYTES) throw batchTooLarge(count, i);
    const [head, tail] = parts[i]!;
    p += out.write(head, p, 'utf8');
    p = putFloat32List(embeddings[i]!, out, p);
    p += out.write(tail, p, 'utf8');
    offsets[i + 1] = p;
  }
  // The exact length in a buffer of its own (transferable), not a view of the upper bound.
  const bytes = new Uint8Array(p);
  bytes.set(out.subarray(0, p));
  return { bytes, offsets };
}

/** Encodes one memory as a line (without the newline) in the given encoding. */
export function encodeMemory(node: MappedNode, embedding: Float32Array, encoding: MemoryEncoding, strength: number): string {
  if (encoding === 'engram-json') return engramRequest(node, embedding, strength);
  const line: BundleMemoryLine = {
    id: node.id,
    memory_space_id: node.space,
    content: node.content,
    embedding_f32: float32Base64(embedding),
    confidence: strength,
    timestamp: node.timestamp,
    memory_type: node.memoryType,
    label: node.label,
    strength,
    last_accessed: node.timestamp,
    embedding_source: node.generateFrom === null ? 'copied' : 'generated',
  };
  return JSON.stringify(line);
}

/** One line of a bundle's (or the edge sidecar's) edges.ndjson. */
export function encodeEdge(edge: EdgeRecord): string {
  const head = JSON.stringify({
    source: edge.source,
    source_space: edge.sourceSpace,
    target: edge.target,
    target_space: edge.targetSpace,
    type: edge.type,
    weight: edge.weight,
  });
  // Properties as node content prints them: stable JSON, integers beyond 2^53 exact.
  return `${head.slice(0, -1)},"properties":${stableJson(edge.properties) ?? '{}'}}`;
}
