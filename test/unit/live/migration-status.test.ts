import { describe, expect, it } from 'vitest';
import { initialCutoverState, type CutoverState } from '../../../src/live/cutover/cutover-state.js';
import { migrationStatus } from '../../../src/live/status/migration-status.js';
import { dlqStats } from './dlq-stats.js';

const dlq = dlqStats;
const cut = (percent: number, over: Partial<CutoverState> = {}): CutoverState => ({
  ...initialCutoverState(),
  percent,
  revision: 3,
  source: 'manual',
  ...over,
});
const states = (s: ReturnType<typeof migrationStatus>): string[] => s.phases.map((p) => `${p.phase}:${p.state}`);

describe('migration status', () => {
  it('places the migration among the five phases from the queue and the cutover state', () => {
    expect(migrationStatus({ dlq: null, dlqHeld: false, cutover: null, cutoverError: null, tombstones: null })).toMatchObject({ current: 0 });
    const dual = migrationStatus({ dlq: dlq({ depth: 3 }), dlqHeld: true, cutover: null, cutoverError: null, tombstones: 0 });
    expect(states(dual)).toEqual(['1:active', '2:unknown', '3:active', '4:pending', '5:pending']);
    expect(dual.current).toBe(3);
    const canary = migrationStatus({ dlq: dlq(), dlqHeld: true, cutover: cut(10), cutoverError: null, tombstones: 0 });
    expect(canary.current).toBe(4);
    expect(canary.phases[3]!.detail).toContain('10%');
    expect(canary.next).toContain('cutover set 0');
    const done = migrationStatus({ dlq: dlq(), dlqHeld: true, cutover: cut(100), cutoverError: null, tombstones: 7 });
    expect(states(done).slice(2)).toEqual(['3:done', '4:done', '5:pending']);
    expect(done.phases[4]!.detail).toContain('7 deleted in Neo4j');
    expect(done.next).toContain('cutover promote');
    expect(migrationStatus({ dlq: dlq({ parked: 2 }), dlqHeld: false, cutover: cut(0), cutoverError: null, tombstones: 0 }).next).toContain('2 parked');
    expect(migrationStatus({ dlq: dlq(), dlqHeld: false, cutover: null, cutoverError: 'Neo4j down', tombstones: null }).phases[3]).toMatchObject({
      state: 'unknown',
      detail: expect.stringContaining('Neo4j down'),
    });
  });

  it('follows phase 5: promoted with the gate streak, retired, archived; and says what the next gate needs', () => {
    const now = Date.parse('2026-12-10T00:00:00Z');
    const base = { dlq: dlq(), dlqHeld: true, cutoverError: null, tombstones: 0, reverseDlq: dlq({ depth: 2 }), now };
    const promoted = migrationStatus({ ...base, cutover: cut(100, { phase: 'promoted', phaseSince: '2026-12-08T00:00:00Z' }) });
    expect(states(promoted).slice(3)).toEqual(['4:done', '5:active']);
    expect(promoted.current).toBe(5);
    expect(promoted.phases[4]!.detail).toMatch(/Engram primary since 2026-12-08.*reverse queue depth 2.*final gate never checked/);
    expect(promoted.next).toContain('decommission gate');
    const gate = { greenSince: '2026-12-09T00:00:00.000Z', lastCheckAt: '2026-12-09T23:30:00.000Z', lastReady: true, passedAt: null, minHours: 72 };
    const green = migrationStatus({ ...base, cutover: cut(100, { phase: 'promoted', gate }) });
    expect(green.phases[4]!.detail).toContain('green since 2026-12-09T00:00:00.000Z (24.0 h of 72 h');
    const passed = migrationStatus({ ...base, cutover: cut(100, { phase: 'promoted', gate: { ...gate, passedAt: '2026-12-12T00:00:00.000Z' } }) });
    expect(passed.next).toContain('decommission archive --out');
    const retired = migrationStatus({ ...base, cutover: cut(100, { phase: 'retired', phaseSince: '2026-12-12T01:00:00Z' }) });
    expect(retired.phases[4]).toMatchObject({ state: 'active', detail: expect.stringContaining('not archived yet') });
    const archive = { dir: '/archive/neo4j', at: '2026-12-12T02:00:00Z', manifestSha256: 'ab'.repeat(32), memories: 10, edges: 4, tombstones: 1 };
    const archived = migrationStatus({ ...base, cutover: cut(100, { phase: 'retired', archive }) });
    expect(states(archived)).toEqual(['1:active', '2:unknown', '3:done', '4:done', '5:done']);
    const demoted = migrationStatus({ ...base, cutover: cut(0, { phase: 'cutover', phaseSince: '2026-12-12T01:00:00Z', reason: 'demoted: incident 9' }) });
    expect(demoted.phases[3]!.detail).toBe('back at 0% (manual: demoted: incident 9)');
    expect(archived.next).toMatch(/stop writing to Neo4j.*without the reverse dual writer.*stop Neo4j/);
  });
});
