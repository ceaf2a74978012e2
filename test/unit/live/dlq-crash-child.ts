/**
 * Child process of the dead-letter-queue crash test: logs writes through a queue as fast as it can,
 * compacting often, and prints what it knows to be durable. The test kills it with SIGKILL mid-run.
 *   node --import tsx dlq-crash-child.ts <dir> <first write number>
 * Every write i: intent (awaited, durable) → ok → failed (stays queued) when i % 10 === 0, else done;
 * so most of the journal is dead and it is compacted every few hundred writes.
 * Prints `intent <i>` once write i's intent is durable and `durable <i>` once every event up to i is.
 */
import { TargetError } from '../../../src/errors.js';
import { DeadLetterQueue } from '../../../src/live/dlq/dead-letter-queue.js';
import { memory, REFUSED } from './memory-graph-database.js';

const dir = process.argv[2]!;
const start = Number(process.argv[3] ?? 0);
// its secondary is down (refused): nothing can land late, so no stray-write fences
const dlq = await DeadLetterQueue.open(dir, { compactAboveBytes: 256 * 1024, retryBaseMs: 1, retryMaxMs: 2, strayWriteMs: 0 });
const down = new TargetError('TARGET_UNAVAILABLE', 'down', { retriable: true, cause: REFUSED });
process.stdout.write('ready\n');
const writeOne = async (i: number): Promise<void> => {
  const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(i) });
  process.stdout.write(`intent ${i}\n`);
  dlq.primaryOk(seq);
  if (i % 10 === 0) dlq.failed(seq, down);
  else dlq.done(seq);
};
for (let i = start; ; i += 8) {
  await Promise.all(Array.from({ length: 8 }, (_, j) => writeOne(i + j)));
  await dlq.flush();
  process.stdout.write(`durable ${i + 7}\n`);
}
