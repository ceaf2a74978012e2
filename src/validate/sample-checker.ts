import type { ResolvedMapping } from '../config/config-schema.js';
import { spaceOf } from '../mapping/shard.js';
import type { NodeBatchBuffers } from '../engine/node-batch.js';
import type { WorkerPool } from '../engine/worker-pool.js';
import { sharedFloat32 } from '../shared/shared-memory.js';
import { firstNonFinite, mapNode, type EmbeddingInput, type MappedNode } from '../mapping/node-mapper.js';
import { mapRelationship } from '../mapping/edge-mapper.js';
import { EMBEDDING_DIM, type SourceNode, type SourceRelationship } from '../mapping/types.js';
import { EMBEDDING_ABSENT, EMBEDDING_BAD_WIDTH, EMBEDDING_PRESENT } from '../../workers/task-types.js';
import { mapLimit } from '../shared/map-limit.js';
import { poolCosine, poolEmbed } from './pool-vectors.js';
import { rejectKey, type RejectIndex } from './reject-index.js';
import type { PreparedChunk } from './source-sample-reader.js';
import { ABSENT, PRESENT, type SampleTargetReader, type TargetSample } from './target-sample.js';
import { DEDUP_COSINE, emptyCounters, type FaultKind, type ValidationFault, type ValidationThresholds } from './validation-report.js';
import type { ValidationLabel } from './validation-plan.js';
import type { DedupMap } from '../dedup/dedup-map.js';
import type { ExpectedDrop } from './validation-report.js';

const D = EMBEDDING_DIM;

export interface SampleCheckerContext {
  mapping: ResolvedMapping;
  /** The run's "now" (timestamps of nodes without one); content does not depend on it. */
  now: string;
  pool: WorkerPool;
  /** Texts per embed task (config model.batchSize). */
  modelBatchSize: number;
  reader: SampleTargetReader;
  target: TargetSample;
  rejects: RejectIndex;
  thresholds: ValidationThresholds;
  /** Every label of the run by name (spaces and keys of relationship ends). */
  labels: ReadonlyMap<string, ValidationLabel>;
  maxFaults: number;
  /** Missing memories to explain at most (each costs the target a similarity search). */
  maxExplained: number;
  /** The run's dedup map: a missing id in it was dropped as a near-duplicate, as predicted. */
  dedupMap?: DedupMap;
  signal?: AbortSignal;
}

/** The same reading of the embedding property as the backfill worker's. */
function embeddingInput(batch: NodeBatchBuffers, j: number): EmbeddingInput {
  const state = batch.embeddingState[j]!;
  if (state === EMBEDDING_ABSENT) return { kind: 'absent' };
  if (state !== EMBEDDING_PRESENT) {
    const code = state === EMBEDDING_BAD_WIDTH ? 'EMBEDDING_WIDTH' : 'EMBEDDING_INVALID';
    return { kind: 'invalid', code, detail: batch.embeddingDetail[j] ?? 'embedding is not a list of numbers' };
  }
  const bad = firstNonFinite(batch.embeddings.subarray(j * D, (j + 1) * D));
  return bad === -1 ? { kind: 'present' } : { kind: 'invalid', code: 'EMBEDDING_INVALID', detail: `embedding[${bad}] is not a finite float32` };
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `differs at character ${i}: expected ${JSON.stringify(a.slice(i, i + 40))}, target has ${JSON.stringify(b.slice(i, i + 40))}`;
}

/** Outgoing relationships of a node, and how many edges the mapping makes of them. */
interface EdgeExpectation {
  relationships: number;
  edges: number;
}

interface Expected {
  node: MappedNode;
  /** Index in the chunk's node batch. */
  j: number;
}

/**
 * Runs the per-node checks on chunks of the sample: maps each sampled node as the backfill would,
 * then checks presence (explaining absences), content, edge count, and the embedding by cosine in the
 * pool between the expected vectors (copied from Neo4j, or generated again with the run's model) and
 * the stored ones, both in shared buffers.
 */
export class SampleChecker {
  readonly counters = emptyCounters();
  readonly faults: ValidationFault[] = [];
  readonly expectedDrops: ExpectedDrop[] = [];
  readonly faultsByKind: Partial<Record<FaultKind, number>> = {};
  readonly rejectedByCode: Record<string, number> = {};
  readonly timings = { embedMs: 0, cosineMs: 0, explainMs: 0 };
  readonly #ctx: SampleCheckerContext;
  #explained = 0;

  constructor(ctx: SampleCheckerContext) {
    this.#ctx = ctx;
  }

  /** Checks the sampled `keys` of `label`, which occupy rows [firstRow, firstRow + keys.length). */
  async check(label: ValidationLabel, firstRow: number, keys: readonly string[], chunk: PreparedChunk): Promise<void> {
    const { target } = this.#ctx;
    const { batch, owners } = chunk;
    const flat: SourceNode[] = batch.nodes.map((node) => ({ ...node, embedding: undefined }));
    const edges = chunk.relationships ? new Map(chunk.relationships) : null;
    const vectors = sharedFloat32(keys.length * D);
    const toGenerate: Array<{ i: number; text: string; wrongWidth: boolean }> = [];
    const compare: number[] = [];
    const missing: Array<{ i: number; expected: Expected }> = [];
    this.counters.sampled += keys.length;
    keys.forEach((key, i) => {
      const row = firstRow + i;
      if (owners[i]!.length === 0) return void this.counters.vanished++;
      this.#checkEdges(label, row, key, edges);
      const expected = this.#expect(label, row, owners[i]!, flat, batch);
      if (!expected) return;
      if (expected.node.generateFrom === null) vectors.set(batch.embeddings.subarray(expected.j * D, (expected.j + 1) * D), i * D);
      const present = target.present[row]!;
      if (present === ABSENT) {
        if (this.#ctx.rejects.keys.has(rejectKey(label.label, key))) return void this.counters.rejectedAtWrite++;
        if (this.#predictedDrop(label, key)) return;
        this.counters.expected++;
        missing.push({ i, expected });
        if (expected.node.generateFrom !== null && this.#ctx.reader.dedup)
          toGenerate.push({ i, text: expected.node.generateFrom, wrongWidth: expected.node.wrongWidthRegenerated });
        return;
      }
      this.counters.expected++;
      this.counters.present++;
      this.#checkContent(label, key, expected.node.content, target.contents[row] ?? '');
      if (present !== PRESENT) return void this.counters.embeddingUnread++;
      compare.push(i);
      if (expected.node.generateFrom !== null) toGenerate.push({ i, text: expected.node.generateFrom, wrongWidth: expected.node.wrongWidthRegenerated });
    });
    await this.#generate(toGenerate, vectors);
    await this.#compare(label, firstRow, keys, vectors, compare);
    await this.#explain(label, keys, vectors, missing);
  }

  /** The memory the backfill would have made from the key's node(s), or null when the mapping rejects it. */
  #expect(label: ValidationLabel, row: number, owned: number[], flat: SourceNode[], batch: NodeBatchBuffers): Expected | null {
    const candidates: Expected[] = [];
    let code = '';
    for (const j of owned) {
      if (label.duplicates.has(flat[j]!.elementId)) {
        code ||= 'DUPLICATE_KEY';
        continue;
      }
      const result = mapNode(flat[j]!, embeddingInput(batch, j), this.#ctx.mapping, label.space, this.#ctx.now, label.key);
      if (result.ok) candidates.push({ node: result.node, j });
      else code ||= result.reject.code;
    }
    if (candidates.length === 0) return this.#rejected(code);
    // A key held by several nodes: the backfill kept one of them (which one depends on page order).
    const stored = this.#ctx.target.contents[row];
    return candidates.find((c) => c.node.content === stored) ?? candidates[0]!;
  }

  #rejected(code: string): null {
    this.counters.rejectedByMapping++;
    this.rejectedByCode[code] = (this.rejectedByCode[code] ?? 0) + 1;
    return null;
  }

  #checkContent(label: ValidationLabel, key: string, expected: string, actual: string): void {
    this.counters.contentChecked++;
    if (expected === actual) return;
    this.counters.contentMismatch++;
    this.#fault({ kind: 'content-mismatch', label: label.label, space: label.space, id: key, detail: firstDifference(expected, actual) });
  }

  /** The edges the backfill makes of a node's relationships: ends rejected by the run (or duplicates) make none. */
  #expectedEdges(relationships: readonly SourceRelationship[]): EdgeExpectation {
    const { labels, rejects, mapping } = this.#ctx;
    const rejected = (elementId: string): string | undefined =>
      rejects.elements.get(elementId) ?? [...labels.values()].find((l) => l.duplicates.has(elementId))?.duplicates.get(elementId);
    let edges = 0;
    for (const rel of relationships) {
      const source = rejected(rel.source.elementId);
      const target = rejected(rel.target.elementId);
      const marked = {
        ...rel,
        source: source === undefined ? rel.source : { ...rel.source, rejected: source },
        target: target === undefined ? rel.target : { ...rel.target, rejected: target },
      };
      if (
        mapRelationship(
          marked,
          mapping,
          (l) => labels.get(l)?.space ?? l,
          (l) => labels.get(l)!.key,
        ).ok
      )
        edges++;
    }
    return { relationships: relationships.length, edges };
  }

  #checkEdges(label: ValidationLabel, row: number, key: string, edges: Map<string, SourceRelationship[]> | null): void {
    const counts = this.#ctx.target.edgeCounts;
    const relationships = edges?.get(key);
    if (!counts || !relationships) return;
    const expectation = this.#expectedEdges(relationships);
    this.counters.edgeChecked++;
    const actual = counts[row]!;
    if (actual === expectation.edges) return;
    this.counters.edgeMismatch++;
    const detail = `Neo4j has ${expectation.relationships} outgoing relationships, the mapping makes ${expectation.edges} edges, the target holds ${actual}`;
    this.#fault({ kind: 'edge-count-mismatch', label: label.label, space: label.space, id: key, detail, expected: expectation.edges, actual });
  }

  async #generate(items: Array<{ i: number; text: string; wrongWidth: boolean }>, vectors: Float32Array): Promise<void> {
    if (items.length === 0) return;
    const started = performance.now();
    await poolEmbed(
      this.#ctx.pool,
      items.map((x) => x.text),
      this.#ctx.modelBatchSize,
      (k, v) => vectors.set(v, items[k]!.i * D),
      this.#ctx.signal,
    );
    this.counters.regenerated += items.length;
    this.counters.regeneratedWrongWidth += items.filter((x) => x.wrongWidth).length;
    this.timings.embedMs += performance.now() - started;
  }

  async #compare(label: ValidationLabel, firstRow: number, keys: readonly string[], vectors: Float32Array, rows: number[]): Promise<void> {
    if (rows.length === 0) return;
    const started = performance.now();
    const stored = this.#ctx.target.vectors.subarray(firstRow * D, (firstRow + keys.length) * D);
    const out = sharedFloat32(keys.length);
    await poolCosine(this.#ctx.pool, vectors, stored, keys.length, out, this.#ctx.signal);
    const min = this.#ctx.thresholds.minCosine;
    for (const i of rows) {
      this.counters.embeddingChecked++;
      const cosine = out[i]!;
      if (cosine >= min) continue;
      this.counters.embeddingMismatch++;
      this.#fault({
        kind: 'embedding-mismatch',
        label: label.label,
        space: label.space,
        id: keys[i]!,
        detail: `cosine ${cosine.toFixed(6)} < ${min} between the expected and the stored embedding`,
        cosine,
      });
    }
    this.timings.cosineMs += performance.now() - started;
  }

  /** Near-duplicate of another stored memory → lost to dedup; space at capacity → eviction; else missing. */
  async #explain(label: ValidationLabel, keys: readonly string[], vectors: Float32Array, missing: Array<{ i: number }>): Promise<void> {
    const started = performance.now();
    const { reader, target } = this.#ctx;
    const capacity = reader.capacityPerSpace;
    await mapLimit(missing, 8, async ({ i }) => {
      const id = keys[i]!;
      const space = spaceOf(id, label);
      const full = capacity !== null && (target.spaceCounts.get(space) ?? 0) >= capacity;
      const base = { label: label.label, space, id };
      if (reader.dedup && this.#explained < this.#ctx.maxExplained) {
        this.#explained++;
        const near = await reader.nearest(space, vectors.slice(i * D, (i + 1) * D), id, this.#ctx.signal);
        if (near && near.cosine >= DEDUP_COSINE) {
          this.counters.lostToDedup++;
          return this.#fault({
            ...base,
            kind: 'lost-to-dedup',
            duplicateOf: near.id,
            cosine: near.cosine,
            detail: `near-duplicate (cosine ${near.cosine.toFixed(4)} ≥ ${DEDUP_COSINE}) of ${near.id}, which the target kept instead`,
          });
        }
      }
      if (full) {
        this.counters.lostToEviction++;
        return this.#fault({
          ...base,
          kind: 'lost-to-eviction',
          detail: `space ${space} holds ${target.spaceCounts.get(space)} memories, at its capacity of ${capacity}`,
        });
      }
      this.counters.missing++;
      const unsearched =
        reader.dedup && this.#explained >= this.#ctx.maxExplained
          ? ` (not searched for a near-duplicate: the limit of ${this.#ctx.maxExplained} searches was reached)`
          : '';
      this.#fault({ ...base, kind: 'missing', detail: `not in space ${space} of the target${unsearched}` });
    });
    this.timings.explainMs += performance.now() - started;
  }

  /**
   * A missing id the dedup map explains: dropped for its survivor; or itself a predicted survivor, when
   * concurrent writes let one of its near-duplicates land first (the map follows the run's write order).
   */
  #predictedDrop(label: ValidationLabel, id: string): boolean {
    const map = this.#ctx.dedupMap;
    if (!map?.found) return false;
    const space = spaceOf(id, label);
    const entry = map.lookup(space, id);
    if (entry === undefined && !map.isSurvivor(space, id)) return false;
    this.counters.droppedAsPredicted++;
    if (this.expectedDrops.length < this.#ctx.maxFaults) {
      this.expectedDrops.push({
        label: label.label,
        space,
        id,
        survivor: entry?.survivor ?? id,
        detail: entry
          ? `dropped as near-duplicate of ${entry.survivor} (cosine ${entry.cosine.toFixed(4)}; expected, in the run's dedup map)`
          : "predicted survivor of near-duplicates, one of which landed first under concurrent writes (expected, in the run's dedup map)",
      });
    }
    return true;
  }

  #fault(fault: ValidationFault): void {
    this.faultsByKind[fault.kind] = (this.faultsByKind[fault.kind] ?? 0) + 1;
    if (this.faults.length < this.#ctx.maxFaults) this.faults.push(fault);
  }
}
