import { engramRequest } from '../mapping/memory-encoding.js';
import { packRecords } from '../shared/record-buffers.js';
import { parseMemoryLine } from '../target/bundle-reader.js';
import type { EncodedMemoryBatch } from '../target/target.js';

/**
 * Turns bundle lines into Engram remember requests: every line is checked field by field
 * ({@link parseMemoryLine}) and re-encoded, one record at a time into the batch's bytes (no string
 * holds the whole batch). `where` names the file and batch in errors.
 */
export function encodeBundleLines(lines: readonly string[], where: string): EncodedMemoryBatch {
  const ids: string[] = [];
  const spaces: string[] = [];
  const { bytes, offsets } = packRecords(lines.length, (i) => {
    const m = parseMemoryLine(lines[i]!, `${where}, line ${i + 1} of the batch`);
    ids.push(m.id);
    spaces.push(m.memory_space_id);
    return engramRequest({ id: m.id, space: m.memory_space_id, content: m.content, timestamp: m.timestamp, memoryType: m.memory_type }, m.vector, m.confidence);
  });
  return { ids, spaces, bytes, offsets };
}
