/** Records of a batch in one byte array: record i is `bytes[offsets[i]..offsets[i+1])`. */
export interface PackedRecords {
  bytes: Uint8Array;
  offsets: Uint32Array;
}

/** Offsets are 32-bit: a batch's records together stay below 4 GiB. */
export const MAX_BATCH_BYTES = 0xffff_ffff;

/** The error for a batch whose records pass {@link MAX_BATCH_BYTES} at record `at`. */
export function batchTooLarge(count: number, at: number): RangeError {
  return new RangeError(`a batch of ${count} records encodes to more than 4 GiB (at record ${at}); use a smaller batch size`);
}

/**
 * Encodes `count` records with `encode` and packs their UTF-8 bytes into one array of its own (not a
 * slice of Node's shared pool, so it can be transferred between threads). Each record is written
 * straight into place: no string ever holds more than one record, so a batch of 10,000 contents of
 * 100 KB (over V8's ~512 M character string limit once joined) encodes fine.
 */
export function packRecords(count: number, encode: (i: number) => string): PackedRecords {
  const texts: string[] = new Array<string>(count);
  const offsets = new Uint32Array(count + 1);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const text = encode(i);
    texts[i] = text;
    total += Buffer.byteLength(text, 'utf8');
    if (total > MAX_BATCH_BYTES) throw batchTooLarge(count, i);
    offsets[i + 1] = total;
  }
  const bytes = Buffer.allocUnsafeSlow(total);
  for (let i = 0; i < count; i++) bytes.write(texts[i]!, offsets[i]!, 'utf8');
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), offsets };
}
