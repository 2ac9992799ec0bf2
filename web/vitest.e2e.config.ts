import { defineConfig } from 'vitest/config';

// Browser scenario against a real center (npm run test:e2e).
export default defineConfig({
  test: {
    include: ['e2e/e2e.test.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
