import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const outDir = fileURLToPath(new URL('../internal/center/console/dist', import.meta.url));

// keepGitkeep puts back the placeholder that keeps the (otherwise ignored)
// dist folder in the repository, since emptyOutDir removes it.
function keepGitkeep(): Plugin {
  return {
    name: 'vigil-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(`${outDir}/.gitkeep`, '');
    },
  };
}

// The dev server proxies the API to a running center (VIGIL_DEV_API, default
// https://127.0.0.1:8443, self-signed certificates accepted) or to the fake
// API of `npm run fake-api`.
export default defineConfig({
  plugins: [react(), keepGitkeep()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': {
        target: process.env.VIGIL_DEV_API ?? 'https://127.0.0.1:8443',
        changeOrigin: true,
        secure: false,
      },
    },
  },
});
