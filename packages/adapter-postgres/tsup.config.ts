import { defineConfig } from 'tsup';

// The .sql migrations are not bundled: they ship in `migrations/` (see package.json
// `files`) and are read at runtime relative to the built file (`../migrations`).
// `shims` gives the CJS build an `import.meta.url`.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    sourcemap: true,
    shims: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
