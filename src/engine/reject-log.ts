import { readFile } from 'node:fs/promises';
import type { RejectCode, RejectRecord } from '../mapping/types.js';
import { NdjsonAppender } from '../shared/ndjson-appender.js';

/**
 * The run's reject log (`rejects.ndjson`): one line per record that could not be migrated, naming the
 * record, the field and the reason. Its durable length is checkpointed with each batch.
 */
export class RejectLog {
  readonly #appender: NdjsonAppender | null;
  readonly byCode = new Map<RejectCode, number>();
  /** The first rejects of a run, kept for the summary (a dry run writes no log). */
  readonly sample: RejectRecord[] = [];
  /**
   * Element id → `CODE: reason` of every rejected node of the run (resumed parts included), so the
   * relationship phase rejects their relationships instead of pointing edges at memories that do not exist.
   */
  readonly rejectedNodes = new Map<string, string>();

  private constructor(appender: NdjsonAppender | null) {
    this.#appender = appender;
  }

  /**
   * `path` null: count and sample only (dry run). On resume the lines kept up to `resumeLength` are
   * counted again, so the counts and sample cover the whole run, not only the resumed part.
   */
  static async open(path: string | null, resumeLength: number | null): Promise<RejectLog> {
    const log = new RejectLog(path === null ? null : await NdjsonAppender.open(path, resumeLength));
    if (path !== null && resumeLength) log.#count(await readRejectLog(path));
    return log;
  }

  #count(rejects: readonly RejectRecord[]): void {
    for (const r of rejects) {
      this.byCode.set(r.code, (this.byCode.get(r.code) ?? 0) + 1);
      if (this.sample.length < 100) this.sample.push(r);
      if (r.kind === 'node' && r.elementId !== null) this.rejectedNodes.set(r.elementId, `${r.code}: ${r.reason}`);
    }
  }

  async add(rejects: readonly RejectRecord[]): Promise<void> {
    if (rejects.length === 0) return;
    this.#count(rejects);
    await this.#appender?.append(rejects.map((r) => JSON.stringify({ at: new Date().toISOString(), ...r }) + '\n').join(''));
  }

  async sync(): Promise<number> {
    return this.#appender ? this.#appender.sync() : 0;
  }

  async close(): Promise<void> {
    await this.#appender?.close();
  }
}

/** Reads a reject log back (for reports and tests). */
export async function readRejectLog(path: string): Promise<Array<RejectRecord & { at: string }>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as RejectRecord & { at: string });
}
