import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Temporary files in a folder of the run's own; what tests leave behind fails the run.
    globalSetup: ['test/global-temp.ts'],
    // Integration tests start their own redis-server; two cores do not like many at once. The full
    // reliability run (KEYWARDEN_FULL_TESTS=1) measures latencies under load: one file at a time,
    // so a file's figures are its own and not its neighbour's.
    fileParallelism: process.env.KEYWARDEN_FULL_TESTS !== '1',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    env: { REDISMS_SYSTEM_BINARY: '/usr/bin/redis-server', MONGOMS_DISABLE_POSTINSTALL: 'true' },
  },
});
