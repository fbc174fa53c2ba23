import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start their own redis-server; two cores do not like many at once.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    env: { REDISMS_SYSTEM_BINARY: '/usr/bin/redis-server', MONGOMS_DISABLE_POSTINSTALL: 'true' },
  },
});
