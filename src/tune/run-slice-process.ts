import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrateError } from '../errors.js';
import type { SliceSpec } from './slice-runner.js';
import type { SliceOutcome } from './tune-types.js';

/** The compiled slice entry. Under vitest (TypeScript sources) it is taken from `dist/`, so build first. */
export function sliceChildFilename(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'slice-child.js');
  if (!import.meta.url.endsWith('.ts') && existsSync(sibling)) return sibling;
  const fromRoot = join(resolve(here, '../..'), 'dist', 'src', 'tune', 'slice-child.js');
  if (existsSync(fromRoot)) return fromRoot;
  throw new MigrateError('INTERNAL', `slice-child.js not found next to ${here} nor in dist/ (run "npm run build")`);
}

function failed(message: string): SliceOutcome {
  return {
    ok: false,
    error: message,
    stoppedBy: 'end',
    planMs: 0,
    events: [],
    totalNodes: 0,
    nodesRead: 0,
    memoriesWritten: 0,
    targetRejects: 0,
    retries: 0,
    peakRssMb: 0,
    wallMs: 0,
  };
}

/**
 * Runs one slice in a child process (stdin: the spec, stdout: one JSON line). A child that dies or
 * prints no result gives a failed outcome carrying the end of its stderr. `signal` kills the child.
 */
export function runSliceProcess(spec: SliceSpec, options: { signal?: AbortSignal; nodeArgs?: string[] } = {}): Promise<SliceOutcome> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), sliceChildFilename()], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const kill = (): void => void child.kill('SIGTERM');
    options.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (err) => resolvePromise(failed(`cannot start the slice process: ${err.message}`)));
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', kill);
      const line = stdout.trim().split('\n').pop() ?? '';
      let parsed: (SliceOutcome & { fatal?: string }) | null = null;
      try {
        parsed = JSON.parse(line) as SliceOutcome & { fatal?: string };
      } catch {
        parsed = null;
      }
      if (parsed && parsed.fatal === undefined) return resolvePromise(parsed);
      const why = parsed?.fatal ?? `slice process exited with ${signal ?? `code ${code}`}`;
      resolvePromise(failed(`${why}${stderr ? ` (stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')})` : ''}`));
    });
    child.stdin.end(JSON.stringify(spec));
  });
}
