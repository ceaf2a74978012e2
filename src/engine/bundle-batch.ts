import { MigrateError } from '../errors.js';
import { packEngramRequests } from '../mapping/memory-encoding.js';
import { spaceOf, type ShardLayout } from '../mapping/shard.js';
import { parseMemoryLine } from '../target/bundle-reader.js';
import type { EncodedMemoryBatch } from '../target/target.js';

/**
 * Turns bundle lines into Engram remember requests: every line is checked field by field
 * ({@link parseMemoryLine}) and re-encoded, one record at a time into the batch's bytes (no string
 * holds the whole batch). `where` names the file and batch in errors. With `space`, every line must be
 * filed under the space it names, and when that space is a shard (`layout`), be the shard its id hashes to.
 */
export function encodeBundleLines(lines: readonly string[], where: string, space?: string, layout?: ShardLayout): EncodedMemoryBatch {
  const ids: string[] = [];
  const spaces: string[] = [];
  const { bytes, offsets } = packEngramRequests(lines.length, (i) => {
    const m = parseMemoryLine(lines[i]!, `${where}, line ${i + 1} of the batch`);
    if (space !== undefined && (m.memory_space_id !== space || (layout && spaceOf(m.id, layout) !== space))) {
      const expected = layout ? spaceOf(m.id, layout) : space;
      throw new MigrateError(
        'BUNDLE_INVALID',
        `${where}, line ${i + 1} of the batch: memory ${m.id} names space ${m.memory_space_id} but belongs in ${expected}${layout ? ` (shard of ${layout.space} over ${layout.shards} spaces)` : ''}`,
      );
    }
    ids.push(m.id);
    spaces.push(m.memory_space_id);
    return {
      node: { id: m.id, space: m.memory_space_id, content: m.content, timestamp: m.timestamp, memoryType: m.memory_type },
      embedding: m.vector,
      strength: m.confidence,
    };
  });
  return { ids, spaces, bytes, offsets };
}

/** Shard space → its label's layout, from a bundle manifest's `info.labels[].shards` (every run of an appended bundle). */
export function shardLayoutsOf(info: Record<string, unknown>): Map<string, ShardLayout> {
  const runs = (info.runs as Array<Record<string, unknown>> | undefined) ?? [info];
  const layouts = new Map<string, ShardLayout>();
  for (const run of runs) {
    for (const l of (run.labels as Array<{ space?: unknown; shards?: unknown }> | undefined) ?? []) {
      if (typeof l.space !== 'string' || typeof l.shards !== 'number' || l.shards <= 1) continue;
      const layout = { space: l.space, shards: l.shards };
      for (let n = 0; n < l.shards; n++) layouts.set(`${l.space}-${n}`, layout);
    }
  }
  return layouts;
}
