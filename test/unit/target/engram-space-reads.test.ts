/**
 * How the product reads an Engram space, against the double (which behaves as the real server was
 * measured to; test/integration/engram-contract.test.ts asserts the same on the real server):
 * a space is counted by distinct ids, every memory is listed once, and a memory is present only if
 * GET finds it (a replaced memory stays listed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngramDouble, type EngramDouble } from '../../helpers/engram-double/index.js';
import { replacedMemoryReadBack, unusedSpaceCounts, updatedSpace, warmSpaceListing } from '../../helpers/engram-read-scenarios.js';
import { startTinyServer } from '../../helpers/tiny-http.js';
import { EngramClient } from '../../../src/target/engram-client.js';

let double: EngramDouble;

beforeAll(async () => {
  double = await startEngramDouble();
});

afterAll(async () => {
  await double?.stop();
});

describe('reading a space of the Engram double', () => {
  it('counts a space by distinct ids, not by tier_counts.hot (which counts every update that landed as new)', async () => {
    const r = await updatedSpace(double.url, 'counts', 'u-');
    expect(r.hot).toBe(5);
    expect(r.listed.sort()).toEqual(['u-a', 'u-b', 'u-c']);
    expect(r.clientCount).toBe(3);
    expect(r.targetCount).toBe(3);
  });

  it('lists each memory once, although tier=all lists a warm memory twice', async () => {
    const r = await warmSpaceListing(double.url, 'warm', 'w-');
    expect(r.allTier).toEqual(['w-0', 'w-0', 'w-1', 'w-1', 'w-2', 'w-2', 'w-3', 'w-3']);
    expect(r.listed).toEqual(['w-0', 'w-1', 'w-2', 'w-3']);
  });

  it('validation reads a replaced memory as missing, though the listing still shows it', async () => {
    const r = await replacedMemoryReadBack(double.url, 'replaced', 'r-');
    expect(r.loserStatus).toBe(404);
    expect(r.loserListed).toBe(true);
    expect(r.present).toEqual({ loser: false, winner: true, kept: true });
    expect(r.embeddingRead).toEqual({ loser: false, winner: true, kept: true });
  });

  it('a dry run counts only the loaded spaces and creates none; a real count of a new space creates it, as the server does', async () => {
    const r = await unusedSpaceCounts(double.url, 'never-used');
    expect(r).toEqual({ loadedBefore: false, dryRunCounts: [['default', 0]], loadedAfterDryRun: false, count: 0, loadedAfterCount: true });
  });

  it("the loaded spaces: the server's own 503 (unhealthy, spaces listed) is an answer; a 503 that lists none is retried", async () => {
    const answers = [
      { status: 503, body: { error: { code: 'OVERLOADED' } } },
      { status: 503, body: { status: 'unhealthy', spaces: [{ space: 'default' }, { space: 'people-0' }] } },
    ];
    const server = await startTinyServer((_req, i) => answers[i] ?? { status: 500 });
    const client = new EngramClient({ url: server.url, maxRetries: 2, retryBaseMs: 1, retryMaxMs: 5 });
    try {
      expect([...(await client.loadedSpaces())]).toEqual(['default', 'people-0']);
      expect(server.requests.map((r) => r.url)).toEqual(['/api/v1/system/health', '/api/v1/system/health']);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
