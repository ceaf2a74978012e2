/**
 * TEST DOUBLE of the Engram HTTP server (not Engram), as its own process:
 *   npx tsx test/helpers/engram-double/main.ts --port 0 --auth-key engram_key_k1_s3cret \
 *     --capacity 100000 --faults '{"errorRates":{"503":0.01}}'
 * Prints `ENGRAM DOUBLE READY http://127.0.0.1:<port>` once listening; steer it through the
 * `/__double/*` control routes; stops on SIGTERM/SIGINT (and on stdin close with
 * `--exit-on-stdin-close`, so a crashed parent leaves no orphan).
 */
import { parseArgs } from 'node:util';
import { startEngramDouble } from './engram-double-server.js';
import type { EngramDoubleOptions, EngramFaults } from './types.js';

function numberFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`--${name} must be a number, got '${raw}'`);
  return value;
}

/** Turn command-line flags into double options. */
function parseDoubleArgs(argv: string[]): { options: EngramDoubleOptions; exitOnStdinClose: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'auth-key': { type: 'string', multiple: true },
      capacity: { type: 'string' },
      'dedup-threshold': { type: 'string' },
      'exact-scan-below': { type: 'string' },
      faults: { type: 'string' },
      'exit-on-stdin-close': { type: 'boolean' },
    },
    strict: true,
  });
  const options: EngramDoubleOptions = {};
  const port = numberFlag('port', values.port);
  if (port !== undefined) options.port = port;
  if (values.host !== undefined) options.host = values.host;
  if (values['auth-key'] !== undefined) options.auth = { keys: values['auth-key'] };
  const capacity = numberFlag('capacity', values.capacity);
  if (capacity !== undefined) options.capacity = capacity;
  const threshold = numberFlag('dedup-threshold', values['dedup-threshold']);
  if (threshold !== undefined) options.dedupThreshold = threshold;
  const exact = numberFlag('exact-scan-below', values['exact-scan-below']);
  if (exact !== undefined) options.exactScanBelow = exact;
  if (values.faults !== undefined) options.faults = JSON.parse(values.faults) as EngramFaults;
  return { options, exitOnStdinClose: values['exit-on-stdin-close'] === true };
}

async function main(): Promise<void> {
  const { options, exitOnStdinClose } = parseDoubleArgs(process.argv.slice(2));
  const double = await startEngramDouble(options);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void double.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (exitOnStdinClose) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }
  process.stdout.write(`ENGRAM DOUBLE READY ${double.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`engram double failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
