import { join } from 'node:path';
import { MigrateError } from '../errors.js';
import { EMBEDDING_DIM } from '../mapping/types.js';
import { throwIfAborted } from '../shared/abort.js';
import { EDGES_FILE, memoriesFile } from '../target/bundle-target.js';
import { leadingString, scanNdjson } from './ndjson-scan.js';
import { PRESENT, type NearestMemory, type SampleTargetReader, type TargetSample } from './target-sample.js';

const ID_PREFIX = Buffer.from('{"id":"');
const SOURCE_PREFIX = Buffer.from('{"source":"');

export interface BundleSampleReaderOptions {
  /** Count edges per sampled memory from `edges.ndjson` (default true). */
  edges?: boolean;
  /**
   * Each read continues where the previous one ended (per file) and only sees lines appended since:
   * for validating the window of a running backfill. Space counts still cover whole files.
   */
  windowed?: boolean;
}

/**
 * Reads sampled memories back from a bundle directory in one streaming pass per space file: a line's
 * id is taken from its first bytes, and only lines of sampled ids are parsed; their base64 float32
 * embeddings are decoded straight into the shared buffer. The bundle keeps every memory it is given
 * (no dedup, no capacity), so a memory missing from it is simply missing.
 */
export class BundleSampleReader implements SampleTargetReader {
  readonly kind = 'bundle' as const;
  readonly location: string;
  readonly edges: boolean;
  readonly dedup = false;
  readonly capacityPerSpace = null;
  readonly #windowed: boolean;
  readonly #offsets = new Map<string, number>();
  readonly #lines = new Map<string, number>();

  constructor(dir: string, options: BundleSampleReaderOptions = {}) {
    this.location = dir;
    this.edges = options.edges ?? true;
    this.#windowed = options.windowed ?? false;
  }

  async read(sample: TargetSample, spaces: readonly string[], signal?: AbortSignal): Promise<void> {
    const bytes = Buffer.from(sample.vectors.buffer, sample.vectors.byteOffset, sample.vectors.byteLength);
    for (const space of spaces) {
      throwIfAborted(signal);
      const ids = sample.index.get(space);
      const file = memoriesFile(space);
      const visit = (buffer: Buffer, start: number, end: number): void => {
        if (!ids) return;
        const fast = leadingString(buffer, start, end, ID_PREFIX);
        const id = fast ?? (this.#parse(buffer, start, end, file).id as string);
        const row = ids.get(id);
        if (row === undefined) return;
        const line = this.#parse(buffer, start, end, file);
        sample.found(row, String(line.content));
        if (
          typeof line.embedding_f32 === 'string' &&
          bytes.write(line.embedding_f32, row * EMBEDDING_DIM * 4, EMBEDDING_DIM * 4, 'base64') === EMBEDDING_DIM * 4
        ) {
          sample.present[row] = PRESENT;
        }
      };
      const from = this.#windowed ? (this.#offsets.get(file) ?? 0) : 0;
      const result = await scanNdjson(join(this.location, file), from, visit);
      const total = (this.#windowed ? (this.#lines.get(file) ?? 0) : 0) + result.lines;
      this.#offsets.set(file, result.endOffset);
      this.#lines.set(file, total);
      sample.spaceCounts.set(space, total);
      sample.scanned += result.lines;
    }
    if (this.edges && !this.#windowed) await this.#readEdges(sample);
  }

  async #readEdges(sample: TargetSample): Promise<void> {
    const counts = new Int32Array(sample.rows);
    const ids = new Set<string>();
    for (const space of sample.index.values()) for (const id of space.keys()) ids.add(id);
    await scanNdjson(join(this.location, EDGES_FILE), 0, (buffer, start, end) => {
      const fast = leadingString(buffer, start, end, SOURCE_PREFIX);
      if (fast !== null && !ids.has(fast)) return;
      const edge = this.#parse(buffer, start, end, EDGES_FILE);
      const row = sample.rowOf(String(edge.source_space), String(edge.source));
      if (row !== undefined) counts[row]!++;
    });
    sample.edgeCounts = counts;
  }

  #parse(buffer: Buffer, start: number, end: number, file: string): Record<string, unknown> {
    try {
      return JSON.parse(buffer.toString('utf8', start, end)) as Record<string, unknown>;
    } catch (cause) {
      throw new MigrateError(
        'BUNDLE_INVALID',
        `${join(this.location, file)}: a line is not JSON (${buffer.toString('utf8', start, Math.min(end, start + 60))}…)`,
        { cause },
      );
    }
  }

  async countSpaces(spaces: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const space of spaces) counts.set(space, (await scanNdjson(join(this.location, memoriesFile(space)), 0, () => undefined)).lines);
    return counts;
  }

  /** A bundle never deduplicates, so there is nothing a missing memory could have merged into. */
  async nearest(): Promise<NearestMemory | null> {
    return null;
  }

  async close(): Promise<void> {}
}
