/**
 * The cutover lever in the primary Neo4j, as a fleet sees it: three routers, each with its own driver
 * (three service instances), watch one `EngramMigrateCutover` node; `engram-migrate cutover set 0` (the
 * real CLI, a separate process) reaches every one of them; a schedule written by one instance's runner
 * reaches the others; a hand-broken state is reported by each and the last good share kept.
 */
import { spawn } from 'node:child_process';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CutoverRouter } from '../../src/live/cutover/cutover-router.js';
import { CutoverScheduleRunner, setCutoverPercent } from '../../src/live/cutover/cutover-schedule.js';
import { Neo4jCutoverStore } from '../../src/live/cutover/neo4j-cutover-store.js';
import { testDriver, testNeo4jUri } from '../helpers/neo4j.js';
import { MemoryGraphDatabase } from '../unit/live/memory-graph-database.js';

const NAME = `fleet-${process.pid}`;
const drivers: Driver[] = [];
const routers: CutoverRouter[] = [];
const errors: unknown[][] = [[], [], []];
let admin: Driver;

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args], { env: { ...process.env, CI: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function cleanup(): Promise<void> {
  const session = admin.session();
  try {
    await session.run('MATCH (c) WHERE (c:EngramMigrateCutover OR c:EngramMigrateCutoverChange) AND c.name = $name DELETE c', { name: NAME });
  } finally {
    await session.close();
  }
}

beforeAll(async () => {
  admin = testDriver();
  await cleanup();
  for (let i = 0; i < 3; i++) {
    const driver = testDriver();
    drivers.push(driver);
    const router = new CutoverRouter({
      oldStore: new MemoryGraphDatabase('neo4j'),
      newStore: new MemoryGraphDatabase('engram'),
      store: new Neo4jCutoverStore({ driver, name: NAME }),
      pollMs: 100,
      onStateError: (err) => errors[i]!.push(err),
    });
    routers.push(router);
  }
  await Promise.all(routers.map((r) => r.start())); // three instances starting at once: one creates the node
});

afterAll(async () => {
  await Promise.all(routers.map((r) => r.close()));
  await cleanup();
  await Promise.all([...drivers, admin].map((d) => d.close()));
});

describe('cutover state in Neo4j, three routers', () => {
  it('starts every instance from one node, and a share set anywhere reaches all of them', async () => {
    expect(routers.map((r) => r.percent)).toEqual([0, 0, 0]);
    expect(new Set(routers.map((r) => r.state?.revision))).toEqual(new Set([1]));
    const state = await setCutoverPercent(new Neo4jCutoverStore({ driver: admin, name: NAME }), 50, 'canary');
    expect(state).toMatchObject({ percent: 50, revision: 2, source: 'manual' });
    await expect.poll(() => routers.map((r) => r.percent), { timeout: 10_000, interval: 20 }).toEqual([50, 50, 50]);
  });

  it('`engram-migrate cutover set 0` (another process) rolls every instance back', async () => {
    const t0 = performance.now();
    const run = await cli(['cutover', 'set', '0', '--reason', 'incident 42', '--neo4j-uri', testNeo4jUri(), '--cutover-name', NAME]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('cutover 0%');
    const exited = performance.now();
    await expect.poll(() => routers.map((r) => r.percent), { timeout: 10_000, interval: 20 }).toEqual([0, 0, 0]);
    console.log(`cutover set 0: every router at 0% ${Math.round(performance.now() - exited)} ms after the CLI exited (${Math.round(exited - t0)} ms CLI run)`);
    expect(routers.map((r) => r.state?.reason)).toEqual(['incident 42', 'incident 42', 'incident 42']);
    const status = await cli(['cutover', 'status', '--json', '--neo4j-uri', testNeo4jUri(), '--cutover-name', NAME]);
    expect(status.code, status.stderr).toBe(0);
    const session = admin.session();
    const history = await session.run('MATCH (c:EngramMigrateCutoverChange {name: $name}) RETURN c.percent AS p ORDER BY c.revision', { name: NAME });
    await session.close();
    expect(history.records.map((r) => r.get('p'))).toEqual([0, 50, 0]);
  });

  it('a schedule begun by one instance moves them all, and a broken state is reported while the last good share holds', async () => {
    const store = new Neo4jCutoverStore({ driver: drivers[0]!, name: NAME });
    const runner = new CutoverScheduleRunner({ router: routers[0]!, stateFile: store });
    await runner.begin([
      { percent: 10, durationMs: 3_600_000 },
      { percent: 100, durationMs: 0 },
    ]);
    await expect.poll(() => routers.map((r) => r.percent), { timeout: 10_000, interval: 20 }).toEqual([10, 10, 10]);
    const session = admin.session();
    await session.run('MATCH (c:EngramMigrateCutover {name: $name}) SET c.state = $bad', { name: NAME, bad: '{"version":1,"percent":150,"revision":9}' });
    await session.close();
    await expect.poll(() => errors.map((e) => e.length), { timeout: 10_000, interval: 20 }).toEqual([1, 1, 1]);
    expect(errors[0]![0]).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(routers.map((r) => r.percent)).toEqual([10, 10, 10]);
    await setCutoverPercent(store, 0, 'over the bad state'); // the lever still works
    await expect.poll(() => routers.map((r) => r.percent), { timeout: 10_000, interval: 20 }).toEqual([0, 0, 0]);
  });
});
