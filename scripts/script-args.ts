/**
 * Flag parsing for the project's scripts: `--help`/`-h` prints the script's usage and exits 0; an unknown
 * or malformed flag prints one line naming it, then the usage, and exits 2 (never a stack trace).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseScriptArgs<O extends Options>(
  usage: string,
  options: O,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ options: O; allowPositionals: boolean }>> {
  const all = { ...options, help: { type: 'boolean', short: 'h', default: false } } as O;
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: boolean }>>;
  try {
    parsed = parseArgs({ options: all, allowPositionals });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${usage.trim()}\n`);
    process.exit(2);
  }
  if ((parsed.values as Record<string, unknown>).help === true) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  return parsed;
}
