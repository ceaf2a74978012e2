/**
 * `engram-migrate decommission gate` end to end (the real CLI, the test Neo4j, the Engram double): it
 * passes when the cutover has held 100% long enough, both queues are drained and Engram's memories are
 * Neo4j's plus exactly the tombstoned ones; without a reverse dual write it fails (exit 7), naming why.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { initialCutoverState } from '../../src/live/cutover/cutover-state.js';
import { DeadLetterQueue } from '../../src/live/dlq/dead-letter-queue.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';
import { vector } from '../unit/live/memory-graph-database.js';

const LABEL = 'LiveGateMemory';
const SPACE = 'live_gate';
let driver: Driver;
let double: EngramDouble;
let dir: string;

async function cleanup(): Promise<void> {
  const session = driver.session();
  try {
    await session.run(`MATCH (n) WHERE n:${LABEL} OR n:${LABEL}Tombstone DETACH DELETE n`);
  } finally {
    await session.close();
  }
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args], { env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  driver = testDriver();
  await cleanup();
  double = await startEngramDouble();
  dir = await mkdtemp(join(tmpdir(), 'live-gate-'));
  const neo = new Neo4jGraphDatabase({ driver, label: LABEL });
  await neo.ensureSchema({ vectorIndex: false });
  const engram = new EngramGraphDatabase({ client: { url: double.url, maxRetries: 0 } });
  for (let i = 0; i < 3; i++) {
    const m = { id: `g${i}`, space: SPACE, content: `gate ${i}`, embedding: vector(500 + i), timestamp: new Date(1_700_000_000_000 + i).toISOString() };
    await neo.createMemory(m);
    await engram.createMemory(m);
  }
  await neo.deleteMemory(SPACE, 'g2'); // Engram keeps it: a tombstone says so
  await engram.close();
  for (const q of ['dlq', 'dlq-reverse']) await (await DeadLetterQueue.open(join(dir, q))).close();
  const long = new Date(Date.now() - 100 * 3_600_000).toISOString();
  await writeFile(join(dir, 'cutover.json'), JSON.stringify({ ...initialCutoverState(), percent: 100, revision: 5, source: 'schedule', updatedAt: long }));
});

afterAll(async () => {
  await double?.stop();
  await cleanup();
  await driver?.close();
  await rm(dir, { recursive: true, force: true });
});

it('passes with both queues drained and counts equal up to the tombstones; fails without a reverse dual write', async () => {
  const args = [
    'decommission',
    'gate',
    '--spaces',
    SPACE,
    '--state-file',
    join(dir, 'cutover.json'),
    '--dlq-dir',
    join(dir, 'dlq'),
    '--neo4j-uri',
    testNeo4jUri(),
    '--neo4j-label',
    LABEL,
    '--engram-url',
    double.url,
    '--json',
  ];
  const passed = await cli([...args, '--reverse-dlq-dir', join(dir, 'dlq-reverse')]);
  expect(passed.code, passed.stderr).toBe(0);
  const result = JSON.parse(passed.stdout) as { pass: boolean; checks: Array<{ name: string; pass: boolean | null; detail: string }> };
  expect(result.pass).toBe(true);
  expect(result.checks.find((c) => c.name === `counts ${SPACE}`)?.detail).toBe('Neo4j 2, Engram 3 (1 of them deleted in Neo4j)');
  const failed = await cli([...args, '--reverse-dlq-dir', join(dir, 'nowhere')]);
  expect(failed.code).toBe(7);
  expect((JSON.parse(failed.stdout) as typeof result).checks.filter((c) => c.pass !== true && c.name !== 'shadow overlap').map((c) => c.name)).toEqual([
    'reverse dual write ran and is drained (writes for Neo4j)',
  ]);
});
