/**
 * Faster Bolt decoding of embeddings for neo4j-driver 5.x, installed only in threads this tool owns (the
 * backfill's readers, validation's fetchers), so the driver of a service that imports the library is left alone.
 *
 * neo4j-driver decodes a list element by element through its generic `unpack` (a marker dispatch per float),
 * and reads a message that spans Bolt chunks (a node with 768 floats is ~7 KB, so many do) through
 * `CombinedBuffer`, which copies each float's 8 bytes one by one into a new buffer. Measured on the bench graph
 * (768-float embeddings, pages of 250): 200 µs of CPU per node read and laid out, 73-88 µs with both changes:
 *   - a list whose elements are FLOAT_64 is read in one loop over the message's bytes (the first element of
 *     another type hands the rest back to the driver's own path);
 *   - a message spanning chunks is joined into one contiguous buffer (one copy) when it is complete.
 * Values are the same: the same plain arrays of the same doubles. {@link installBoltFloatLists} installs them
 * only after a self-test decodes samples both ways with identical results, and only over the driver version
 * they were written against; otherwise it leaves the driver as it is and says why.
 */
import { createRequire } from 'node:module';

const FLOAT_64 = 0xc1;

export interface BoltBuffer {
  position: number;
  length: number;
  _buffer?: Buffer;
}
type UnpackListWithSize = (this: Unpacker, size: number, buffer: BoltBuffer, hydrate: unknown) => unknown[];
interface Unpacker {
  unpack(buffer: BoltBuffer, hydrate?: unknown): unknown;
  _unpackListWithSize: UnpackListWithSize;
}
export interface BoltConnectionInternals {
  version: string;
  Unpacker: { new (disableLosslessIntegers: boolean, useBigInt: boolean): Unpacker; prototype: Unpacker };
  ChannelBuffer: new (arg: Buffer | number) => BoltBuffer;
  combined: { default: new (parts: BoltBuffer[]) => BoltBuffer };
}

/** The driver versions these internals were read from (neo4j-driver-bolt-connection's `lib/`). */
const KNOWN_MAJOR = '5.';

let installed: { ok: boolean; reason: string } | null = null;

/** The driver internals the fast paths replace (exported for the tests). */
export function boltConnectionInternals(): BoltConnectionInternals {
  // Resolved from neo4j-driver's own location: the bolt package is its dependency, not ours.
  const fromDriver = createRequire(createRequire(import.meta.url).resolve('neo4j-driver'));
  const bolt = (path: string): unknown => fromDriver(`neo4j-driver-bolt-connection/${path}`);
  return {
    version: (bolt('package.json') as { version: string }).version,
    Unpacker: (bolt('lib/packstream/packstream-v1.js') as { Unpacker: BoltConnectionInternals['Unpacker'] }).Unpacker,
    ChannelBuffer: (bolt('lib/channel/channel-buf.js') as { default: BoltConnectionInternals['ChannelBuffer'] }).default,
    combined: bolt('lib/channel/combined-buf.js') as BoltConnectionInternals['combined'],
  };
}

/** A list of `size` elements: FLOAT_64 elements read straight from the message's bytes while they last. */
function floatListFastPath(original: UnpackListWithSize): UnpackListWithSize {
  return function (this: Unpacker, size, buffer, hydrate) {
    const raw = buffer._buffer;
    if (size < 2 || raw === undefined || raw[buffer.position] !== FLOAT_64 || buffer.length - buffer.position < size * 9)
      return original.call(this, size, buffer, hydrate);
    const value: unknown[] = new Array(size);
    let p = buffer.position;
    let i = 0;
    for (; i < size && raw[p] === FLOAT_64; i++, p += 9) value[i] = raw.readDoubleBE(p + 1);
    buffer.position = p;
    for (; i < size; i++) value[i] = this.unpack(buffer, hydrate);
    return value;
  };
}

/**
 * A complete message that arrived in several chunks, as one buffer (the driver's string and float reads take
 * its fast path). Parts are the dechunker's slices of socket data; any other kind keeps the driver's own class.
 */
function contiguousMessage(
  b: BoltConnectionInternals,
  Combined: BoltConnectionInternals['combined']['default'],
): BoltConnectionInternals['combined']['default'] {
  return function Contiguous(parts: BoltBuffer[]) {
    if (!parts.every((p) => p._buffer !== undefined && p.position === 0 && p.length === p._buffer.length)) return new Combined(parts);
    return new b.ChannelBuffer(Buffer.concat(parts.map((p) => p._buffer!)));
  } as unknown as BoltConnectionInternals['combined']['default'];
}

/** Packed samples: floats, floats then other types, a float list split over two chunks, a list of one. */
function samples(b: BoltConnectionInternals): Array<() => BoltBuffer> {
  const floats = (values: number[]): Buffer =>
    Buffer.concat(values.map((v) => Buffer.from([FLOAT_64, ...new Uint8Array(new Float64Array([v]).buffer).reverse()])));
  const list = (size: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([0xd4, size]), body]);
  const values = [0.5, -1.25e-7, 3.4028234663852886e38, Number.MIN_VALUE, -0, 0.1];
  const mixed = list(5, Buffer.concat([floats([1.5, 2.5]), Buffer.from([0x01, 0x81, 0x61]), floats([7])]));
  const plain = list(values.length, floats(values));
  return [
    () => new b.ChannelBuffer(plain),
    () => new b.ChannelBuffer(mixed),
    () => new b.ChannelBuffer(list(1, floats([9]))),
    () => new b.combined.default([new b.ChannelBuffer(plain.subarray(0, 23)), new b.ChannelBuffer(plain.subarray(23))]),
  ];
}

function decodeAll(b: BoltConnectionInternals): string {
  const unpacker = new b.Unpacker(false, true);
  return JSON.stringify(
    samples(b).map((make) => unpacker.unpack(make())),
    (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : v),
  );
}

/**
 * Installs the fast paths in this thread's copy of the driver, once. Returns whether they are in place and,
 * when not, why (an unknown driver version, internals that moved, or a self-test that disagreed).
 */
export function installBoltFloatLists(): { ok: boolean; reason: string } {
  if (installed) return installed;
  let b: BoltConnectionInternals;
  try {
    b = boltConnectionInternals();
  } catch (err) {
    return (installed = { ok: false, reason: `neo4j-driver internals not found: ${(err as Error).message}` });
  }
  if (!b.version.startsWith(KNOWN_MAJOR)) return (installed = { ok: false, reason: `neo4j-driver-bolt-connection ${b.version} is not ${KNOWN_MAJOR}x` });
  const proto = b.Unpacker.prototype;
  const originalList = proto._unpackListWithSize;
  const originalCombined = b.combined.default;
  if (typeof originalList !== 'function' || typeof originalCombined !== 'function' || typeof b.ChannelBuffer !== 'function')
    return (installed = { ok: false, reason: `neo4j-driver-bolt-connection ${b.version}: the internals it patches have moved` });
  let expected: string;
  try {
    expected = decodeAll(b);
    proto._unpackListWithSize = floatListFastPath(originalList);
    b.combined.default = contiguousMessage(b, originalCombined);
    const got = decodeAll(b);
    if (got !== expected) throw new Error(`self-test decoded ${got}, the driver ${expected}`);
  } catch (err) {
    proto._unpackListWithSize = originalList;
    b.combined.default = originalCombined;
    return (installed = { ok: false, reason: `neo4j-driver-bolt-connection ${b.version}: ${(err as Error).message}` });
  }
  return (installed = { ok: true, reason: `neo4j-driver-bolt-connection ${b.version}` });
}
