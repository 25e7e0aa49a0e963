// Vite build of the dashboard into dist/ (served by @atelier/server); `npm run dev` proxies the API.
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';

export default defineConfig(({ mode }) => {
  // The server `atelier up` runs (ATELIER_URL); Origin is rewritten so its CSRF guard accepts requests.
  const api = loadEnv(mode, '.', 'ATELIER_').ATELIER_URL ?? 'http://localhost:8080';
  return {
    plugins: [react()],
    build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
    server: {
      proxy: { '/api': { target: api, changeOrigin: true, headers: { origin: api } } },
    },
  };
});
