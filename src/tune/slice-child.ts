/**
 * Entry of a tune slice's own process: reads a {@link SliceSpec} as JSON on stdin, runs it, prints one
 * JSON line ({@link SliceOutcome}) on stdout. Its own process so that its peak RSS is its own. It exits
 * as soon as the outcome is printed (stdout is a pipe: written synchronously on Linux), without waiting
 * for the stopped engine to drain its batches in flight.
 */
import { errorMessage } from '../errors.js';
import { redactSecrets } from '../shared/redact.js';
import { runSlice, type SliceSpec } from './slice-runner.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

try {
  const spec = JSON.parse(await readStdin()) as SliceSpec;
  const outcome = await runSlice(spec);
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  process.exit(0);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ fatal: redactSecrets(errorMessage(err)) })}\n`);
  process.exit(1);
}
