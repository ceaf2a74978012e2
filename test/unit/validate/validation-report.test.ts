import { describe, expect, it } from 'vitest';
import { emptyCounters, evaluateChecks, reportPassed, type SpaceCount, type ValidationThresholds } from '../../../src/validate/validation-report.js';

const thresholds: ValidationThresholds = {
  maxMissingRate: 0,
  maxEmbeddingMismatchRate: 0.0001,
  maxEdgeMismatchRate: 0.001,
  maxRejectedRate: 0,
  maxContentMismatchRate: 0,
  maxCountDifferenceRate: 0,
  minCosine: 0.99,
};

function counters(overrides: Partial<ReturnType<typeof emptyCounters>>): ReturnType<typeof emptyCounters> {
  return { ...emptyCounters(), ...overrides };
}

function space(overrides: Partial<SpaceCount>): SpaceCount {
  return {
    space: 's1',
    labels: ['L'],
    neo4j: 100,
    rejected: 0,
    existingAtStart: 0,
    expected: 100,
    target: 100,
    difference: 0,
    capacity: null,
    atCapacity: false,
    exact: true,
    ...overrides,
  };
}

const byName = (checks: ReturnType<typeof evaluateChecks>) => Object.fromEntries(checks.map((c) => [c.name, c]));

describe('evaluateChecks', () => {
  it('passes a clean sample', () => {
    const c = counters({ expected: 10_000, present: 10_000, embeddingChecked: 10_000, contentChecked: 10_000, edgeChecked: 10_000 });
    const checks = evaluateChecks(c, [space({})], thresholds, { edges: true });
    expect(checks.map((k) => k.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(reportPassed(checks)).toBe(true);
  });

  it('counts dedup and eviction losses as missing: any loss fails the 0% default', () => {
    const c = counters({ expected: 1000, present: 999, lostToDedup: 1, embeddingChecked: 999 });
    const missing = byName(evaluateChecks(c, [], thresholds, { edges: true })).missing!;
    expect(missing).toMatchObject({ status: 'fail', failures: 1, checked: 1000, rate: 0.001 });
    const lenient = byName(evaluateChecks(c, [], { ...thresholds, maxMissingRate: 0.001 }, { edges: true })).missing!;
    expect(lenient.status).toBe('pass');
  });

  it('fails a rate above its maximum and passes one at it (embedding mismatch < 0.01%)', () => {
    const at = counters({ expected: 10_000, present: 10_000, embeddingChecked: 10_000, embeddingMismatch: 1 });
    const above = counters({ expected: 10_000, present: 10_000, embeddingChecked: 10_000, embeddingMismatch: 2 });
    expect(byName(evaluateChecks(at, [], thresholds, { edges: true })).embedding!.status).toBe('pass');
    expect(byName(evaluateChecks(above, [], thresholds, { edges: true })).embedding!.status).toBe('fail');
    const edges = counters({ edgeChecked: 1000, edgeMismatch: 2 });
    expect(byName(evaluateChecks(edges, [], thresholds, { edges: true })).edges!).toMatchObject({ status: 'fail', rate: 0.002 });
  });

  it('never passes edges on a target without edges, and says why', () => {
    const c = counters({ expected: 10, present: 10, edgeChecked: 0 });
    const edges = byName(evaluateChecks(c, [], thresholds, { edges: false })).edges!;
    expect(edges.status).toBe('not-verifiable');
    expect(edges.note).toContain('not verifiable on this target');
    const inFlight = byName(evaluateChecks(c, [], thresholds, { edges: false, inFlight: true })).edges!;
    expect(inFlight.status).toBe('not-verifiable');
  });

  it('reports nothing-to-check as not verifiable rather than passed', () => {
    const checks = byName(evaluateChecks(counters({ expected: 5, present: 5, embeddingChecked: 5 }), [], thresholds, { edges: true }));
    expect(checks.content!.status).toBe('not-verifiable');
    expect(checks.embedding!.status).toBe('pass');
  });

  it('fails space counts only when the expectation is exact', () => {
    const off = space({ target: 97, difference: -3 });
    expect(byName(evaluateChecks(counters({}), [off], thresholds, { edges: true }))['space-counts']!).toMatchObject({
      status: 'fail',
      failures: 1,
      checked: 1,
    });
    const raw = space({ target: 97, difference: -3, exact: false, rejected: null });
    expect(byName(evaluateChecks(counters({}), [raw], thresholds, { edges: true }))['space-counts']!.status).toBe('not-verifiable');
    const tolerated = { ...thresholds, maxCountDifferenceRate: 0.05 };
    expect(byName(evaluateChecks(counters({}), [off], tolerated, { edges: true }))['space-counts']!.status).toBe('pass');
  });

  it('a report passes only when no check fails (not-verifiable does not fail it)', () => {
    const checks = evaluateChecks(counters({ expected: 3, present: 3, embeddingChecked: 3, contentChecked: 3 }), [space({})], thresholds, { edges: false });
    expect(checks.some((c) => c.status === 'not-verifiable')).toBe(true);
    expect(reportPassed(checks)).toBe(true);
    expect(reportPassed([...checks, { ...checks[0]!, status: 'fail' }])).toBe(false);
  });
});
