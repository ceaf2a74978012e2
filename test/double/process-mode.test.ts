import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnEngramDouble } from '../helpers/engram-double/index.js';
import { call, remember, unitVector } from './double-client.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('process mode', () => {
  it('spawns, serves with auth and capacity, takes faults over the control route, and stops', async () => {
    const key = 'engram_key_bench_xyz';
    const double = await spawnEngramDouble({ authKeys: [key], capacity: 2, faults: { errorRates: { 503: 1 }, scope: 'writes' } });
    try {
      expect(double.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const auth = { authorization: `Bearer ${key}` };
      expect((await remember(double.url, { id: 'a', content: 'c', embedding: unitVector(1) }, auth)).status).toBe(503);
      expect(await double.setFaults(null)).toEqual({});
      for (const [i, id] of ['a', 'b', 'c'].entries()) {
        expect((await remember(double.url, { id, content: id, embedding: unitVector(10 + i) }, auth)).status).toBe(201);
      }
      expect((await remember(double.url, { content: 'x' })).status).toBe(401);
      const list = await call(double.url, 'GET', '/api/v1/memories', { headers: auth });
      expect(list.json.tier_counts.hot).toBe(2);
      const stats = await double.stats();
      expect(stats.writes).toMatchObject({ stored: 3, evicted: 1 });
      expect(stats.injected.errors).toEqual({ 503: 1 });
      expect(await double.seed('seeded', 5, 1)).toMatchObject({ memories: 2 }); // capacity 2 holds
    } finally {
      await double.stop();
    }
    expect(alive(double.pid)).toBe(false);
  });

  it('prints the ready line when run with tsx directly', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const child = spawn(`${root}node_modules/.bin/tsx`, ['test/helpers/engram-double/main.ts', '--port', '0', '--capacity', '10'], { cwd: root });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(line).toMatch(/^ENGRAM DOUBLE READY http:\/\/127\.0\.0\.1:\d+$/);
      const url = line.split(' ').pop()!;
      expect((await call(url, 'GET', '/health')).json.status).toBe('healthy');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
