import type { NodeTaskResult } from '../../workers/task-types.js';
import type { PropertyValue, RejectRecord } from '../mapping/types.js';
import { buildNodeBatch, type NodeBatchBuffers } from './node-batch.js';
import type { LabelPlan } from './plan.js';
import type { RunContext } from './run-context.js';

/**
 * The race-safe backfill. The live dual writer writes Neo4j first (stamping the node with
 * `engine.liveStampProperty` in the same write), then Engram. A backfill that read a node before a live
 * update and writes it after can overwrite the newer version in Engram. So after each written batch the
 * stamps of its nodes are read again (one query by element id): a node whose stamp changed (or
 * appeared) since the read may now be older in Engram than in Neo4j, so it is read again and rewritten
 * at its current version through the target's update path (on Engram: GET, POST at a confidence above
 * the stored one, GET), and checked again, for at most `engine.liveRaceRounds` rounds. A node still
 * written live in every round is rejected as LIVE_RACE_UNSETTLED (its next live write settles it).
 * Stamps are compared for equality, not against a clock: the backfill's and the service's clocks may
 * differ. A node deleted meanwhile is left to its tombstone (Engram cannot delete).
 */

/**
 * The read stamp of a stamped node in the first batch of each range of a resumed run. That batch may have
 * been written before the crash and never checked, and its stale write may still be in Engram, while the
 * resume reads the node unchanged and its plain write may be dropped as a near-duplicate of the stale
 * one: so the check treats it as raced and rewrites it through the update path (a GET, and nothing more
 * when Engram holds that version). Never equal to a {@link stampKey}.
 */
export const UNCHECKED_STAMP = '(maybe written before the crash, unchecked)';

/** A stamp as a comparable string; null when the node has none (never written live). */
export function stampKey(value: PropertyValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
}

/** The stamp property when the check runs for this run: set, writing, and a target that can rewrite. */
export function liveStampProperty(ctx: RunContext): string | null {
  const property = ctx.config.engine.liveStampProperty;
  return property !== null && !ctx.dryRun && typeof ctx.target.rewriteMemories === 'function' ? property : null;
}

/** A node the batch wrote: its memory id and its stamp when it was read. */
export interface WrittenNode {
  id: string;
  stamp: string | null;
}

export interface RaceOutcome {
  /** Nodes found written live after the backfill read them (each counted once). */
  raced: number;
  /** Rewrites that landed. */
  rewritten: number;
  /** Nodes the batch had counted as written that end rejected (unsettled, or their new version refused). */
  rejects: RejectRecord[];
}

/**
 * Checks the nodes a batch wrote (element id → written node) against their current stamps and rewrites
 * the raced ones until they hold still. `map` turns re-read nodes into encoded memories (the pool).
 */
export async function settleLiveRaces(
  ctx: RunContext,
  label: LabelPlan,
  property: string,
  written: ReadonlyMap<string, WrittenNode>,
  map: (buffers: NodeBatchBuffers) => Promise<NodeTaskResult>,
): Promise<RaceOutcome> {
  const rewrite = ctx.target.rewriteMemories!.bind(ctx.target);
  const rounds = ctx.config.engine.liveRaceRounds;
  /** Nodes still to check: element id → stamp of the version last written. */
  const checking = new Map([...written].map(([eid, w]) => [eid, w.stamp]));
  /** Rewrites that did not land last round: element id → why. */
  let retry = new Map<string, string>();
  const raced = new Set<string>();
  const rejects: RejectRecord[] = [];
  let rewritten = 0;
  const reject = (eid: string, code: RejectRecord['code'], reason: string, id = written.get(eid)?.id ?? null): void => {
    checking.delete(eid);
    rejects.push({ kind: 'node', id, label: label.label, elementId: eid, field: code === 'LIVE_RACE_UNSETTLED' ? property : null, code, reason });
  };
  for (let round = 0; checking.size > 0; round++) {
    const current = await ctx.source.propertyOf([...checking.keys()], property);
    const changed: string[] = [];
    for (const [eid, stamp] of checking) {
      if (!current.has(eid))
        checking.delete(eid); // deleted live meanwhile: its tombstone tells validation
      else if (retry.has(eid) || stampKey(current.get(eid)) !== stamp) changed.push(eid);
      else checking.delete(eid); // settled: nothing written live since the version written
    }
    if (changed.length === 0) break;
    for (const eid of changed) raced.add(eid);
    if (round >= rounds) {
      for (const eid of changed) {
        const why = retry.get(eid);
        reject(
          eid,
          'LIVE_RACE_UNSETTLED',
          why === undefined
            ? `node written again by the live side (${property} changed) during each of ${rounds} rewrites; Engram may hold an older version until its next live write`
            : `rewrite at the current version did not land in ${rounds} rounds: ${why}`,
        );
      }
      break;
    }
    const nodes = await ctx.source.nodesByElementId(label, label.key.properties, changed);
    const found = new Set(nodes.map((n) => n.elementId));
    for (const eid of changed) if (!found.has(eid)) checking.delete(eid);
    if (nodes.length === 0) break;
    for (const n of nodes) checking.set(n.elementId, stampKey(n.properties[property]));
    const result = await map(buildNodeBatch(nodes));
    for (const r of result.rejects) {
      const eid = r.elementId ?? '';
      reject(eid, r.code, `its version written live during the backfill cannot be migrated: ${r.reason}`, r.id);
    }
    const eidOf = new Map(result.ids.map((id, i) => [id, nodes[result.rows[i]!]!.elementId]));
    const outcome = await rewrite(result, ctx.signal);
    rewritten += outcome.written;
    for (const r of outcome.rejects) reject(eidOf.get(r.id ?? '') ?? '', r.code, r.reason, r.id);
    retry = new Map([...outcome.retry].map(([id, why]) => [eidOf.get(id)!, why]));
  }
  return { raced: raced.size, rewritten, rejects };
}
