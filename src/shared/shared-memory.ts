/**
 * Typed arrays over shared memory, so worker threads read and write them in place. A module of its own:
 * the reader threads lay pages out in shared memory, and importing the pool (piscina) for two
 * constructors cost each of them about 0.2 s of start-up.
 */

/** A Float32Array over shared memory. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

/** A Uint8Array over shared memory. */
export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}
