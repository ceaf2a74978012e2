import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrateError } from '../errors.js';

/** Where the launcher's Maven project, its jar and its runtime classpath live. */
export interface Neo4jLayout {
  projectDir: string;
  pom: string;
  launcherSource: string;
  launcherJar: string;
  libDir: string;
  /** `java -cp` value: the launcher jar plus every jar of target/lib (Java expands the wildcard). */
  classpath: string;
}

export interface InstallNeo4jOptions {
  /** Repository root holding `neo4j/pom.xml` (default: found by walking up from this file). */
  projectDir?: string;
  /** Maven executable (default `mvn`). */
  mvn?: string;
  /** Longest a build may take (default 30 minutes: a fresh ~/.m2 downloads about 130 MB of jars). */
  timeoutMs?: number;
  /** Receives one line per step. */
  log?: (line: string) => void;
}

export interface Neo4jInstall extends Neo4jLayout {
  /** False when the jars were already in place and up to date. */
  built: boolean;
  seconds: number;
}

const STAMP = '.complete';
const LOCK = '.install-lock';
const STALE_LOCK_MS = 45 * 60_000;

/** Finds the repository root (the folder holding `neo4j/pom.xml`) from this file upwards. */
export function findProjectDir(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'neo4j', 'pom.xml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new MigrateError('INTERNAL', `no neo4j/pom.xml above ${start}`);
    dir = up;
  }
}

/** Paths of the launcher build under `projectDir`. */
export function neo4jLayout(projectDir: string = findProjectDir()): Neo4jLayout {
  const dir = join(projectDir, 'neo4j');
  const target = join(dir, 'target');
  const launcherJar = join(target, 'neo4j-launcher.jar');
  const libDir = join(target, 'lib');
  return {
    projectDir,
    pom: join(dir, 'pom.xml'),
    launcherSource: join(dir, 'src', 'main', 'java', 'dev', 'engrammigrate', 'neo4j', 'Launcher.java'),
    launcherJar,
    libDir,
    classpath: `${launcherJar}:${join(libDir, '*')}`,
  };
}

/** Hash of everything the build depends on: a changed pom or launcher means a rebuild. */
async function buildStamp(layout: Neo4jLayout): Promise<string> {
  const h = createHash('sha256');
  h.update(await readFile(layout.pom));
  h.update(await readFile(layout.launcherSource));
  return h.digest('hex');
}

async function isUpToDate(layout: Neo4jLayout, stamp: string): Promise<boolean> {
  if (!existsSync(layout.launcherJar)) return false;
  const current = await readFile(join(layout.libDir, STAMP), 'utf8').catch(() => '');
  return current.trim() === stamp;
}

function runMaven(mvn: string, layout: Neo4jLayout, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(mvn, ['-q', '-B', '-f', layout.pom, 'package'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new MigrateError('INTERNAL', `cannot run ${mvn}: ${err.message} (is Maven installed?)`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else reject(new MigrateError('INTERNAL', `mvn package of ${layout.pom} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** Takes a directory lock so two processes never build into target/ at once; breaks a stale one. */
async function withLock<T>(dir: string, fn: () => Promise<T>, log: (l: string) => void): Promise<T> {
  await mkdir(dirname(dir), { recursive: true });
  for (let announced = false; ; ) {
    try {
      await mkdir(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age =
        Date.now() -
        (await stat(dir).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age > STALE_LOCK_MS) await rm(dir, { recursive: true, force: true });
      if (!announced) log(`waiting for another install (${dir})`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Builds the launcher and copies Neo4j's runtime jars into `neo4j/target/lib` with
 * `mvn -q -f neo4j/pom.xml package`, unless a previous build of the same pom and launcher is complete.
 * Works on a machine whose ~/.m2 is empty (Maven downloads from Maven Central). Idempotent: a second
 * call returns in milliseconds.
 */
export async function installNeo4j(options: InstallNeo4jOptions = {}): Promise<Neo4jInstall> {
  const layout = neo4jLayout(options.projectDir ?? findProjectDir());
  const log = options.log ?? (() => undefined);
  const t0 = performance.now();
  const stamp = await buildStamp(layout);
  const done = (built: boolean): Neo4jInstall => ({ ...layout, built, seconds: (performance.now() - t0) / 1000 });
  if (await isUpToDate(layout, stamp)) return done(false);
  return withLock(
    join(layout.projectDir, 'neo4j', 'target', LOCK),
    async () => {
      if (await isUpToDate(layout, stamp)) return done(false); // another process built it while we waited
      log(`building the Neo4j launcher (mvn package of ${layout.pom}); a fresh ~/.m2 takes a few minutes`);
      await rm(layout.libDir, { recursive: true, force: true });
      await runMaven(options.mvn ?? 'mvn', layout, options.timeoutMs ?? 30 * 60_000);
      await writeFile(join(layout.libDir, STAMP), `${stamp}\n`);
      return done(true);
    },
    log,
  );
}
