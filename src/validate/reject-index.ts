import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig, ResolvedMapping } from '../config/config-schema.js';
import type { Checkpoint } from '../engine/checkpoint-store.js';
import { spaceForLabel } from '../mapping/node-mapper.js';
import { spaceOf as shardOf } from '../mapping/shard.js';
import type { RejectRecord } from '../mapping/types.js';
import { scanNdjson } from './ndjson-scan.js';

/** The node rejects of a backfill run, by space and by label + key. */
export interface RejectIndex {
  /** False when no reject log was found: counts are then raw differences. */
  found: boolean;
  path: string | null;
  bySpace: Map<string, number>;
  /** `label \u0000 key` of every rejected node that had a key. */
  keys: Set<string>;
  /** Element id → `CODE: reason` of every rejected node (their relationships are rejected too). */
  elements: Map<string, string>;
  /** Node rejects by code. */
  byCode: Map<string, number>;
  /** Where the log ended: a later read can continue from here. */
  endOffset: number;
}

/** How the index keys a rejected node: its label and key. */
export const rejectKey = (label: string, key: string): string => `${label}\u0000${key}`;

/**
 * Reads a run's `rejects.ndjson` (default `<runDir>/rejects.ndjson`). Node rejects are attributed to
 * the space of their label; relationship rejects are ignored (they are not memories). `from` starts at
 * a byte offset (to read only what was appended since), `code` keeps one reject code. With `shards`
 * (label → shard count, as the checkpoint records it) a reject with an id is attributed to its shard.
 */
export async function readRejectIndex(
  path: string | null,
  mapping: ResolvedMapping,
  options: { from?: number; code?: RejectRecord['code']; shards?: Readonly<Record<string, number>> } = {},
): Promise<RejectIndex> {
  const index: RejectIndex = { found: false, path, bySpace: new Map(), keys: new Set(), elements: new Map(), byCode: new Map(), endOffset: options.from ?? 0 };
  if (path === null) return index;
  const spaces = new Map<string, string>();
  const spaceOf = (label: string): string => {
    let space = spaces.get(label);
    if (space === undefined) spaces.set(label, (space = spaceForLabel(label, mapping)));
    return space;
  };
  const exists = await stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) return index;
  index.found = true;
  const scan = await scanNdjson(path, options.from ?? 0, (buffer, start, end) => {
    const r = JSON.parse(buffer.toString('utf8', start, end)) as RejectRecord;
    if (r.kind !== 'node' || r.label === null || (options.code !== undefined && r.code !== options.code)) return;
    const shards = options.shards?.[r.label] ?? 1;
    const space = shards > 1 && r.id !== null ? shardOf(r.id, { space: spaceOf(r.label), shards }) : spaceOf(r.label);
    index.bySpace.set(space, (index.bySpace.get(space) ?? 0) + 1);
    if (r.id !== null) index.keys.add(rejectKey(r.label, r.id));
    if (r.elementId !== null) index.elements.set(r.elementId, `${r.code}: ${r.reason}`);
    index.byCode.set(r.code, (index.byCode.get(r.code) ?? 0) + 1);
  });
  index.endOffset = scan.endOffset;
  return index;
}

/** The run's checkpoint, if the run directory has one (for `now` and the memories spaces held before the run). */
export async function readCheckpoint(config: ResolvedConfig): Promise<Checkpoint | null> {
  try {
    return JSON.parse(await readFile(join(config.runDir, 'checkpoint.json'), 'utf8')) as Checkpoint;
  } catch {
    return null;
  }
}
