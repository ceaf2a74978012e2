/**
 * Drivers for tests against the Neo4j that `global-setup.ts` started (or `NEO4J_TEST_URI` names).
 * Real drivers only: tests never mock neo4j-driver.
 */
import neo4j, { type Config, type Driver } from 'neo4j-driver';
import { inject } from 'vitest';

/** Bolt URI of the test Neo4j. */
export function testNeo4jUri(): string {
  const uri = inject('neo4jUri') ?? process.env.NEO4J_TEST_URI;
  if (uri === undefined || uri === '') throw new Error('no test Neo4j: global-setup did not provide neo4jUri');
  return uri;
}

/** A driver for the test Neo4j; auth from NEO4J_TEST_USER / NEO4J_TEST_PASSWORD when set. Close it in afterAll. */
export function testDriver(config: Config = {}): Driver {
  const password = process.env.NEO4J_TEST_PASSWORD;
  const auth = password ? neo4j.auth.basic(process.env.NEO4J_TEST_USER ?? 'neo4j', password) : undefined;
  return neo4j.driver(testNeo4jUri(), auth, config);
}

/** Runs `fn` with a fresh driver and closes it afterwards. */
export async function withTestDriver<T>(fn: (driver: Driver) => Promise<T>, config: Config = {}): Promise<T> {
  const driver = testDriver(config);
  try {
    return await fn(driver);
  } finally {
    await driver.close();
  }
}
