import { defineConfig } from 'tsup';

// src/bin.ts starts with a hashbang, which esbuild keeps, so dist/bin.js runs as `dalston`.
export default defineConfig({
  entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  esbuildOptions(options, context) {
    // As in @dalston/env: the CJS build must require() what it loads on demand.
    if (context.format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false };
  },
});
