import { defineConfig } from 'vitest/config';

// Browser scenario against the fake API (npm run test:ui).
export default defineConfig({
  test: {
    include: ['e2e/ui.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
