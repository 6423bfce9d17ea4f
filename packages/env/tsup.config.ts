import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The adapters are loaded on demand with `import()`. In the CJS build that must become
  // `require()`, or a CJS host would load the adapters' ESM builds beside its CJS
  // @dalston/core (two copies: DalstonError identity and tokens would differ).
  esbuildOptions(options, context) {
    if (context.format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false };
  },
});
