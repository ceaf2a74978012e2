import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { boltConnectionInternals, installBoltFloatLists, type BoltBuffer } from '../../../src/source/bolt-float-lists.js';

// Ground truth is the value packed, not the driver's own decoding: the fast paths are installed in this
// process once, so both decoders cannot be compared side by side here (the self-test does that at install).
const bolt = createRequire(createRequire(import.meta.url).resolve('neo4j-driver'));
const { Dechunker } = bolt('neo4j-driver-bolt-connection/lib/channel/chunking.js') as {
  Dechunker: new () => { onmessage: (message: BoltBuffer) => void; write(buffer: BoltBuffer): void };
};

type Value = number | bigint | string | Value[];

function pack(v: Value): Buffer {
  if (typeof v === 'number') return Buffer.from([0xc1, ...new Uint8Array(new Float64Array([v]).buffer).reverse()]);
  if (typeof v === 'bigint') return Buffer.from([0xcb, ...new Uint8Array(new BigInt64Array([v]).buffer).reverse()]);
  if (typeof v === 'string') {
    const bytes = Buffer.from(v, 'utf8');
    return Buffer.concat([Buffer.from([0xd1, bytes.length >> 8, bytes.length & 0xff]), bytes]);
  }
  const header = v.length < 16 ? Buffer.from([0x90 + v.length]) : Buffer.from([0xd5, v.length >> 8, v.length & 0xff]);
  return Buffer.concat([header, ...v.map(pack)]);
}

/** Bolt chunking of one message at the given chunk size, ended by the 0x0000 boundary. */
function chunked(message: Buffer, chunk: number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < message.length; at += chunk) {
    const body = message.subarray(at, at + chunk);
    parts.push(Buffer.from([body.length >> 8, body.length & 0xff]), body);
  }
  return Buffer.concat([...parts, Buffer.from([0, 0])]);
}

/** Sends `wire` through the driver's dechunker in pieces of `read` bytes (as sockets deliver): the message it makes. */
function dechunk(wire: Buffer, read: number): BoltBuffer {
  const b = boltConnectionInternals();
  const dechunker = new Dechunker();
  let message: BoltBuffer | null = null;
  dechunker.onmessage = (m) => void (message = m);
  for (let at = 0; at < wire.length; at += read) dechunker.write(new b.ChannelBuffer(Buffer.from(wire.subarray(at, at + read))));
  return message!;
}

function decode(wire: Buffer, read: number): unknown {
  return new (boltConnectionInternals().Unpacker)(false, true).unpack(dechunk(wire, read));
}

it('installs over the driver in use, after its self-test, and joins a message that spans chunks into one buffer', () => {
  expect(installBoltFloatLists()).toEqual({ ok: true, reason: expect.stringMatching(/^neo4j-driver-bolt-connection 5\./) });
  const message = dechunk(chunked(pack([0.5, 1.5, 2.5]), 7), 3);
  expect(message._buffer?.length).toBe(message.length); // one contiguous buffer, not the driver's CombinedBuffer
});

it('decodes lists of floats, mixed lists and nested lists to the values packed, whatever the chunking', () => {
  installBoltFloatLists();
  let seed = 7;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, Number.MIN_VALUE, Number.MAX_VALUE, 1e-310];
  const floats = (n: number): number[] =>
    Array.from({ length: n }, () => (random() < 0.02 ? special[Math.floor(random() * special.length)]! : (random() - 0.5) * 0.2));
  const cases: Value[] = [
    floats(768),
    floats(1),
    floats(2),
    [],
    [...floats(300), 5n, 'x', ...floats(10)], // the fast path hands the rest of the list back at the first non-float
    ['first', ...floats(20)], // a list that does not start with a float never takes it
    [floats(768), floats(3), [floats(2), 'é']],
    [1n, 2n, 3n],
  ];
  for (const value of cases)
    for (const chunk of [7, 1000, 65_535])
      for (const read of [1, 13, 4096]) expect(decode(chunked(pack(value), chunk), read), `chunk ${chunk}, read ${read}`).toEqual(value);
});

it('reads a split multi-byte string of a message that spans chunks', () => {
  installBoltFloatLists();
  const text = 'ünïcödé '.repeat(40);
  expect(decode(chunked(pack([text, ...[0.25, 0.5]]), 9), 5)).toEqual([text, 0.25, 0.5]);
});
