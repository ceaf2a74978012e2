import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (script: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('every script answers --help', () => {
  it.each(['neo4j', 'sample-load', 'demo', 'generate-models', 'run-tests'])('%s --help prints its usage and exits 0', (script) => {
    const r = run(script, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: node dist\/scripts\//);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('an unknown flag names it, prints the usage, exits 2, and shows no stack trace', () => {
    const r = run('sample-load', '--nodez', '5');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: Unknown option '--nodez'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
