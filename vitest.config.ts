import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration suites share one Neo4j; run files one at a time so they do not fight over 2 cores.
    fileParallelism: false,
    pool: 'forks',
  },
});
