import { setMaxListeners } from 'node:events';
import { AbortError } from '../errors.js';

/** Writes JSON to stdout (machine output). BigInts become strings. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}

/** A plain text table: columns padded to their widest cell. */
export function formatTable(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** Runs `work` with an AbortSignal tied to Ctrl-C / SIGTERM (a second Ctrl-C exits at once). */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>, onInterrupt: () => void): Promise<T> {
  const controller = new AbortController();
  // Every request in flight listens on this one signal (tune's fill curve sends up to 64 at once); Node's
  // default of 10 listeners printed a MaxListenersExceededWarning, a false leak report.
  setMaxListeners(0, controller.signal);
  let count = 0;
  const handler = (): void => {
    count++;
    if (count > 1) process.exit(130);
    onInterrupt();
    controller.abort(new AbortError('interrupted (Ctrl-C)'));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}
