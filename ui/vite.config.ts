import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The analysts' page, built into dist/ui for `serve` and `auditline ui` to hold in memory. No
 * module-preload polyfill (it would be one more script) and no inline assets in the HTML: the
 * page runs under a CSP without 'unsafe-inline'.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    // Never a data: URL in a stylesheet or script: every file is its own request under 'self'.
    assetsInlineLimit: 0,
    target: 'es2022',
    reportCompressedSize: true,
  },
  logLevel: 'warn',
});
