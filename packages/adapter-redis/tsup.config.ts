import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // `import.meta.url` in the CJS build, so the Lua files are found next to dist/index.cjs too.
  shims: true,
  // The Lua scripts ship as files in dist/lua, resolved relative to the built module.
  onSuccess: async () => {
    cpSync('src/lua', 'dist/lua', { recursive: true });
  },
});
