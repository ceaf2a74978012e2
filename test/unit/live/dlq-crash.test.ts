import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../src/live/dlq/dead-letter-queue.js';
import { DlqReplayer } from '../../../src/live/dlq/dlq-replayer.js';
import { MemoryGraphDatabase } from './memory-graph-database.js';

const CHILD = fileURLToPath(new URL('./dlq-crash-child.ts', import.meta.url));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child until it has made `writes` intents durable, then kills it with SIGKILL. */
function runAndKill(writes: number, start: number): Promise<{ intents: Set<number>; durable: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const intents = new Set<number>();
  let durable = -1;
  let buffer = '';
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'intent') intents.add(Number(n));
        if (word === 'durable') durable = Number(n);
      }
      if (intents.size >= writes && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve({ intents, durable }) : reject(new Error(`child exited by itself: ${signal}`))));
  });
}

it('keeps every queued write across kill -9 (mid-write, mid-compaction) and drains each exactly once', async () => {
  const first = await runAndKill(3000, 0);
  const second = await runAndKill(2000, 1_000_000); // a second crash on the recovered journal
  // the child's secondary was down: nothing it sent can still land, so no recheck window after the crash
  const dlq = await DeadLetterQueue.open(dir, { strayWriteMs: 0 });
  try {
    const present = new Set(dlq.list(undefined, 1_000_000).map((x) => x.key));
    // every failed write whose intent was durable is still there, from both runs
    for (const run of [first, second]) {
      for (const i of run.intents) if (i % 10 === 0) expect(present.has(`m${i}`), `m${i}`).toBe(true);
      // writes marked done before the last durable mark are gone (no double apply)
      for (const i of run.intents) if (i % 10 !== 0 && i <= run.durable) expect(present.has(`m${i}`), `m${i}`).toBe(false);
    }
    expect(first.durable).toBeGreaterThan(1000);
    expect(second.durable).toBeGreaterThan(1_000_000 + 1000);
    const secondary = new MemoryGraphDatabase('engram');
    const before = dlq.stats();
    const remaining = await new DlqReplayer({ dlq, secondary, concurrency: 64 }).drain(30_000);
    expect(remaining).toBe(0);
    expect(secondary.memories.size).toBe(before.entries);
    expect(Math.max(...secondary.writeCount.values())).toBe(1);
  } finally {
    await dlq.close();
  }
});
