import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

it('a reader that closes the pipe early (--help | head) ends the CLI quietly, exit 0, no stack trace', async () => {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'validate', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Closed before the CLI has started: its first write to stdout fails with EPIPE.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  expect(stderr).not.toContain('EPIPE');
  expect(stderr).not.toContain('Error');
  expect(code).toBe(0);
});
