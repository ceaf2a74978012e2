import { defineConfig } from 'vitest/config';

// Two projects: unit tests (no servers; the Engram double's own tests included) and integration tests,
// which run against the real Neo4j that test/helpers/global-setup.ts starts.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/double/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // The suites share one Neo4j and two cores: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
