import { defineConfig } from 'vitest/config';

// Unit tests: TypeScript, components rendered to HTML, no browser (npm test).
export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
