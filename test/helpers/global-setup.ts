/**
 * vitest globalSetup: gives every test file a real Neo4j.
 *
 * - `NEO4J_TEST_URI` set: use that server (auth from `NEO4J_TEST_USER` / `NEO4J_TEST_PASSWORD`, none by default).
 * - otherwise: install the launcher if needed and start Neo4j 5.26 on 127.0.0.1:7698 with data dir
 *   `.runs/neo4j-test` (no auth, heap 2g, page cache 1g), fresh each run, stopped in teardown. When another
 *   test run already holds that port or data dir, the next free port (7699, ...) with data dir
 *   `.runs/neo4j-test-<port>` is used instead, so concurrent runs in one checkout never share a store.
 *
 * Tests read the URI with `inject('neo4jUri')` or `process.env.NEO4J_TEST_URI` (see `test/helpers/neo4j.ts`).
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findProjectDir, isLauncherAlive, isPortInUse, readPidFile, startNeo4j, type Neo4jHandle } from '../../src/sample/neo4j-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bolt URI of the Neo4j the tests run against. */
    neo4jUri: string;
  }
}

const FIRST_PORT = 7698;
const LAST_PORT = 7718;

function dataDirFor(root: string, port: number): string {
  return resolve(root, port === FIRST_PORT ? '.runs/neo4j-test' : `.runs/neo4j-test-${port}`);
}

/** First port whose Bolt port is free and whose data dir no live launcher owns. */
async function nextCandidate(root: string, from: number): Promise<number> {
  for (let port = from; port <= LAST_PORT; port++) {
    const pid = (await readPidFile(join(dataDirFor(root, port), 'neo4j.pid')))?.pid;
    if (pid !== undefined && isLauncherAlive(pid)) continue;
    if (await isPortInUse(port)) continue;
    return port;
  }
  throw new Error(`no free port for a test Neo4j in ${FIRST_PORT}..${LAST_PORT}`);
}

async function startTestNeo4j(): Promise<Neo4jHandle> {
  const root = findProjectDir();
  let lastError: unknown = null;
  for (let attempt = 0, port = FIRST_PORT; attempt < 3; attempt++, port++) {
    port = await nextCandidate(root, port);
    const dataDir = dataDirFor(root, port);
    await rm(dataDir, { recursive: true, force: true });
    try {
      return await startNeo4j({ port, dataDir, auth: false, heap: '2g', pageCache: '1g' });
    } catch (err) {
      lastError = err; // another run may have taken the port between the check and the bind
    }
  }
  throw lastError;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.NEO4J_TEST_URI;
  if (external !== undefined && external !== '') {
    project.provide('neo4jUri', external);
    return async () => undefined;
  }
  const t0 = performance.now();
  const handle = await startTestNeo4j();
  console.log(`[global-setup] Neo4j ready at ${handle.uri} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  process.env.NEO4J_TEST_URI = handle.uri;
  project.provide('neo4jUri', handle.uri);
  return async () => {
    await handle.stop();
    delete process.env.NEO4J_TEST_URI;
  };
}
