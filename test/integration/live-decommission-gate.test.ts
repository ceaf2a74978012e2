/**
 * Phase 5 from the CLI, end to end (the real CLI, the test Neo4j, the Engram double): `decommission gate`
 * passes when Engram is promoted, both queues are drained, Engram's memories are Neo4j's plus exactly the
 * tombstoned ones, and all that stayed green for --min-hours (the streak is recorded in the cutover state);
 * without a reverse dual write it fails (exit 7), naming why. `decommission archive` is refused until the
 * gate passed, then retires Neo4j and writes a verified bundle; `status` shows phase 5 done;
 * `verify-archive` finds a changed file.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EngramGraphDatabase } from '../../src/live/adapters/engram-graph-database.js';
import { Neo4jGraphDatabase } from '../../src/live/adapters/neo4j-graph-database.js';
import { initialCutoverState, type CutoverState } from '../../src/live/cutover/cutover-state.js';
import { DeadLetterQueue } from '../../src/live/dlq/dead-letter-queue.js';
import { startEngramDouble, type EngramDouble } from '../helpers/engram-double/index.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';
import { vector } from '../unit/live/memory-graph-database.js';

const LABEL = 'LiveGateMemory';
const SPACE = 'live_gate';
const BAD_SPACE = 'live_gate_bad';
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
  await neo.createEdge({ source: 'g0', target: 'g1', type: 'RELATES_TO', weight: 0.5 });
  const session = driver.session();
  try {
    // a node no bundle line can hold (no embedding): the archive keeps it whole as a reject, with the reason
    await session.run(`CREATE (:${LABEL} {id: 'bad1', space: $space, content: 'no embedding'})`, { space: BAD_SPACE });
  } finally {
    await session.close();
  }
  await engram.close();
  for (const q of ['dlq', 'dlq-reverse']) await (await DeadLetterQueue.open(join(dir, q))).close();
  const promoted: CutoverState = {
    ...initialCutoverState(),
    percent: 100,
    revision: 5,
    source: 'manual',
    phase: 'promoted',
    phaseSince: new Date().toISOString(),
  };
  await writeFile(join(dir, 'cutover.json'), JSON.stringify(promoted));
});

afterAll(async () => {
  await double?.stop();
  await cleanup();
  await driver?.close();
  await rm(dir, { recursive: true, force: true });
});

const state = async (): Promise<CutoverState> => JSON.parse(await readFile(join(dir, 'cutover.json'), 'utf8')) as CutoverState;
type GateJson = { pass: boolean; ready: boolean; checks: Array<{ name: string; pass: boolean | null; detail: string }> };
const failingChecks = (r: GateJson): string[] => r.checks.filter((c) => c.pass !== true && c.name !== 'shadow overlap').map((c) => c.name);

it('measures the gate from its first green check, refuses the archive until it passed, then retires, archives and verifies', async () => {
  const store = ['--state-file', join(dir, 'cutover.json')];
  const gateArgs = [
    'decommission',
    'gate',
    '--spaces',
    SPACE,
    ...store,
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
  const first = await cli([...gateArgs, '--reverse-dlq-dir', join(dir, 'dlq-reverse'), '--min-hours', '72']);
  expect(first.code, first.stderr).toBe(7);
  const firstResult = JSON.parse(first.stdout) as GateJson;
  expect(firstResult.ready).toBe(true);
  expect(failingChecks(firstResult)).toEqual(['green for 72 h']);
  const greenSince = (await state()).gate?.greenSince;
  expect(greenSince).toBeTruthy();
  const again = await cli([...gateArgs, '--reverse-dlq-dir', join(dir, 'dlq-reverse'), '--min-hours', '72']);
  expect((await state()).gate?.greenSince).toBe(greenSince); // the streak goes on
  expect(again.code).toBe(7);

  const red = await cli([...gateArgs, '--reverse-dlq-dir', join(dir, 'nowhere')]);
  expect(red.code).toBe(7);
  expect(failingChecks(JSON.parse(red.stdout) as GateJson)).toEqual(['reverse dual write ran and is drained (writes for Neo4j)', 'green for 72 h']);
  expect((await state()).gate).toMatchObject({ greenSince: null, lastReady: false });

  const archiveArgs = ['decommission', 'archive', ...store, '--neo4j-uri', testNeo4jUri(), '--neo4j-label', LABEL, '--settle', '0s', '--json'];
  const refused = await cli([...archiveArgs, '--out', join(dir, 'archive')]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/final gate has not passed \(last check .*: not green\)/);
  expect((await state()).phase).toBe('promoted');

  // --every checks again until the streak has lasted --min-hours (here 1.8 s), then exits 0
  const passed = await cli([...gateArgs, '--reverse-dlq-dir', join(dir, 'dlq-reverse'), '--min-hours', '0.0005', '--every', '1s']);
  expect(passed.code, passed.stderr).toBe(0);
  const runs = passed.stdout.split('{\n  "pass"').length - 1;
  expect(runs).toBeGreaterThanOrEqual(2); // the first check starts the streak, it cannot pass at 0 h
  const last = JSON.parse(passed.stdout.slice(passed.stdout.lastIndexOf('{\n  "pass"'))) as GateJson;
  expect(last.pass).toBe(true);
  expect(last.checks.find((c) => c.name === `counts ${SPACE}`)?.detail).toBe('Neo4j 2, Engram 3 (1 of them deleted in Neo4j)');
  expect((await state()).gate?.passedAt).toBeTruthy();

  const archived = await cli([...archiveArgs, '--out', join(dir, 'archive')]);
  expect(archived.code, archived.stderr).toBe(0);
  expect(JSON.parse(archived.stdout)).toMatchObject({
    memories: { [SPACE]: 2 },
    edges: 1,
    tombstones: 1,
    rejects: 1,
    neo4jCounts: { [SPACE]: 2, [BAD_SPACE]: 1 },
  });
  const after = await state();
  expect(after.phase).toBe('retired');
  expect(after.archive).toMatchObject({ dir: join(dir, 'archive'), memories: 2, edges: 1, tombstones: 1 });
  const rejects = await readFile(join(dir, 'archive', 'rejects.ndjson'), 'utf8');
  expect(rejects).toContain('node \\"bad1\\": embedding: must be 768 finite numbers');

  const status = await cli(['status', ...store, '--dlq-dir', join(dir, 'dlq'), '--reverse-dlq-dir', join(dir, 'dlq-reverse'), '--json']);
  expect(status.code, status.stderr).toBe(0);
  const s = JSON.parse(status.stdout) as { current: number; phases: Array<{ state: string }>; next: string };
  expect(s.current).toBe(5);
  expect(s.phases[4]!.state).toBe('done');
  expect(s.next).toMatch(/stop writing to Neo4j/);

  const verified = await cli(['decommission', 'verify-archive', join(dir, 'archive'), '--json']);
  expect(verified.code, verified.stderr).toBe(0);
  expect((JSON.parse(verified.stdout) as { manifestSha256: string }).manifestSha256).toBe(after.archive!.manifestSha256);
  await appendFile(join(dir, 'archive', 'memories', `${SPACE}.ndjson`), '{}\n');
  const tampered = await cli(['decommission', 'verify-archive', join(dir, 'archive')]);
  expect(tampered.code).toBe(4);
  expect(tampered.stderr).toContain(`memories/${SPACE}.ndjson does not match the manifest`);
});

it('cutover set and demote are refused once Neo4j is retired (it has none of the writes since)', async () => {
  const set = await cli(['cutover', 'set', '0', '--state-file', join(dir, 'cutover.json')]);
  expect(set.code).toBe(2);
  expect(set.stderr).toContain('Neo4j is retired');
  const demote = await cli(['cutover', 'demote', '--state-file', join(dir, 'cutover.json'), '--reverse-dlq-dir', join(dir, 'dlq-reverse')]);
  expect(demote.code).toBe(2);
  expect(demote.stderr).toMatch(/retired since .*--force/);
});
