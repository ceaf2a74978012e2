import { appendFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { errorMessage } from '../../errors.js';
import { readJournalLines, type ReadLine } from './dlq-journal-io.js';

/**
 * Ends every group commit (one `write` + `fdatasync`) and every chunk of a compaction snapshot. A line
 * before a commit line was acknowledged durable to somebody; lines after the last one belong to a write
 * a crash may have cut (torn), which nobody was told had landed.
 */
export const COMMIT_LINE = '{"e":"commit"}';

/** A committed journal line that could not be read, moved aside so the queue still opens. */
export interface QuarantinedLine {
  /** 1-based line number in the journal when it was opened. */
  line: number;
  /** Byte offset of the line. */
  offset: number;
  reason: string;
  text: string;
}

/** What reopening a journal found. */
export interface JournalRecovery {
  /** Bytes of the journal to keep: what follows is a torn write (cut off). */
  keepBytes: number;
  quarantined: QuarantinedLine[];
  /** Unreadable lines of the last, unacknowledged group commit, dropped with it. */
  tornLines: number;
}

/** A journal written before commit lines existed: read as one group; this much is delivered as committed. */
const MAX_GROUP_BYTES = 64 * 1024 * 1024;

interface Pending {
  line: ReadLine;
  n: number;
}

/**
 * Reads a journal's lines in group-commit order and hands each to `onLine`. A line `onLine` refuses
 * (throws) inside a committed group is quarantined (reported, the queue opens); inside the last group,
 * which no commit line closes, it is torn: the journal is kept up to that line and the rest of the group
 * (the same unacknowledged write) is dropped.
 */
export async function recoverJournal(handle: FileHandle, onLine: (line: ReadLine) => void): Promise<JournalRecovery> {
  const quarantined: QuarantinedLine[] = [];
  let group: Pending[] = [];
  let groupBytes = 0;
  let n = 0;
  let commits = 0;
  const deliverCommitted = (p: Pending): void => {
    try {
      onLine(p.line);
    } catch (err) {
      quarantined.push({ line: p.n, offset: p.line.offset, reason: errorMessage(err), text: p.line.text });
    }
  };
  const complete = await readJournalLines(handle, (line) => {
    n++;
    if (line.text === COMMIT_LINE) {
      commits++;
      group.forEach(deliverCommitted);
      group = [];
      groupBytes = 0;
      return;
    }
    group.push({ line, n });
    groupBytes += line.text.length;
    if (groupBytes > MAX_GROUP_BYTES) {
      // only a journal from before commit lines gets here: deliver all but the last line as committed
      group.splice(0, group.length - 1).forEach(deliverCommitted);
      groupBytes = group[0]!.line.text.length;
    }
  });
  // a journal from before commit lines: only its last line can be torn
  if (commits === 0) group.splice(0, group.length - 1).forEach(deliverCommitted);
  for (let i = 0; i < group.length; i++) {
    const p = group[i]!;
    try {
      onLine(p.line);
    } catch {
      return { keepBytes: p.line.offset, quarantined, tornLines: group.length - i };
    }
  }
  return { keepBytes: complete, quarantined, tornLines: 0 };
}

/** Appends the quarantined lines, with their reason, to `path` (NDJSON). */
export async function writeQuarantine(path: string, journal: string, lines: QuarantinedLine[], now = Date.now()): Promise<void> {
  if (lines.length === 0) return;
  const at = new Date(now).toISOString();
  await appendFile(path, lines.map((q) => `${JSON.stringify({ at, journal, ...q })}\n`).join(''), { flush: true });
}
