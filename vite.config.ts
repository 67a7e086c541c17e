import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer only. The Node side is compiled by tsc (tsconfig.build.json); the preload by scripts/build.mjs.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // One file per kind keeps the CSP simple ('self' only) and the asar small.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
});
