/**
 * `engram-migrate cutover promote|demote` through the real CLI with the lever in the test Neo4j: refused
 * below 100% or with writes still queued for the store that becomes the secondary; once done, a running
 * router (another process's view: it polls the node) switches within its poll; `status` shows phase 5.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CutoverRouter } from '../../src/live/cutover/cutover-router.js';
import { Neo4jCutoverStore } from '../../src/live/cutover/neo4j-cutover-store.js';
import { DeadLetterQueue } from '../../src/live/dlq/dead-letter-queue.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';
import { MemoryGraphDatabase, memory } from '../unit/live/memory-graph-database.js';

const NAME = `promote-cli-${process.pid}`;
let driver: Driver;
let dir: string;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args, '--neo4j-uri', testNeo4jUri(), '--cutover-name', NAME], {
      env: { ...process.env, CI: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A queue holding one write that its secondary has not got. */
async function queueWithOneWrite(path: string): Promise<void> {
  const dlq = await DeadLetterQueue.open(path);
  const seq = await dlq.recordIntent({ kind: 'memory', memory: memory(1) });
  dlq.primaryOk(seq);
  dlq.failed(seq, Object.assign(new Error('secondary down'), { code: 'ECONNREFUSED' }));
  await dlq.close();
}

beforeAll(async () => {
  driver = testDriver();
  dir = await mkdtemp(join(tmpdir(), 'promote-cli-'));
  await queueWithOneWrite(join(dir, 'busy'));
  await (await DeadLetterQueue.open(join(dir, 'empty'))).close();
});

afterAll(async () => {
  const session = driver.session();
  try {
    await session.run('MATCH (n) WHERE (n:EngramMigrateCutover OR n:EngramMigrateCutoverChange) AND n.name = $name DETACH DELETE n', { name: NAME });
  } finally {
    await session.close();
  }
  await driver?.close();
  await rm(dir, { recursive: true, force: true });
});

it('promotes at 100% with the forward queue drained, demotes with the reverse one drained; every router follows', async () => {
  const forward = new MemoryGraphDatabase('forward');
  const reverse = new MemoryGraphDatabase('reverse');
  const store = new Neo4jCutoverStore({ driver, name: NAME });
  const router = new CutoverRouter({
    oldStore: new MemoryGraphDatabase('neo4j'),
    newStore: new MemoryGraphDatabase('engram'),
    writes: forward,
    reverseWrites: reverse,
    store,
    pollMs: 50,
  });
  await router.start();
  try {
    expect((await cli(['cutover', 'set', '50'])).code).toBe(0);
    const low = await cli(['cutover', 'promote', '--dlq-dir', join(dir, 'empty')]);
    expect(low.code).toBe(2);
    expect(low.stderr).toContain('promote after the cutover reached 100% (now 50%)');
    expect((await cli(['cutover', 'set', '100'])).code).toBe(0);
    const queued = await cli(['cutover', 'promote', '--dlq-dir', join(dir, 'busy')]);
    expect(queued.code).toBe(2);
    expect(queued.stderr).toMatch(/still holds 1 queued and 0 parked writes for Engram/);

    const promoted = await cli(['cutover', 'promote', '--dlq-dir', join(dir, 'empty'), '--reason', 'week 5', '--json']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(JSON.parse(promoted.stdout)).toMatchObject({ state: { phase: 'promoted', percent: 100, reason: 'week 5' } });
    await until('the router to see the promote', () => router.phase === 'promoted');
    await router.createMemory(memory(2));
    expect(reverse.calls.map((c) => c.method)).toEqual(['createMemory']);

    const status = await cli(['status', '--dlq-dir', join(dir, 'empty'), '--reverse-dlq-dir', join(dir, 'busy'), '--json']);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as { current: number; phases: Array<{ state: string; detail: string }>; next: string };
    expect(s.current).toBe(5);
    expect(s.phases[4]).toMatchObject({ state: 'active', detail: expect.stringMatching(/Engram primary since .*reverse queue depth 1/) });
    expect(s.next).toContain('decommission gate');

    const blocked = await cli(['cutover', 'demote', '--reverse-dlq-dir', join(dir, 'busy')]);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/still holds 1 queued .* writes for Neo4j/);
    expect(router.phase).toBe('promoted');
    const demoted = await cli(['cutover', 'demote', '--reverse-dlq-dir', join(dir, 'empty'), '--percent', '10']);
    expect(demoted.code, demoted.stderr).toBe(0);
    await until('the router to see the demote', () => router.phase === 'cutover' && router.percent === 10);
    await router.createMemory(memory(3));
    expect(forward.calls.map((c) => c.method)).toEqual(['createMemory']);
  } finally {
    await router.close();
  }
});
