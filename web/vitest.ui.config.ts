import { defineConfig } from 'vitest/config';

// Browser scenario against the fake API (npm run test:ui).
export default defineConfig({
  test: {
    include: ['e2e/ui.test.ts'],
    environment: 'node',
    // Long walks on a shared, busy machine: the risk import alone moves 10 MB slowly on purpose.
    testTimeout: 240_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
