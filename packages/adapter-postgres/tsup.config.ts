import { defineConfig } from 'tsup';

// The .sql migrations are not bundled: they ship in `migrations/` (see package.json
// `files`) and are read at runtime relative to the built file (`../migrations`).
// `shims` gives the CJS build an `import.meta.url`. src/cli.ts starts with a hashbang,
// which esbuild keeps, so dist/cli.js runs as the `dalston-pg` bin.
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node20',
});
