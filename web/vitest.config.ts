import { defineConfig } from 'vitest/config';

// Unit tests: pure TypeScript, no browser (npm test).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
