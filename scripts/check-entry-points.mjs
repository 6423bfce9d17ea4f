#!/usr/bin/env node
// Imports every built @dalston/* entry point with both `import` and `require`, the way a user would.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The contract suite runs inside vitest, which is ESM-only: `import` must work, and a
// `require()` must fail with vitest's own message saying to use import.
const esmOnly = new Set(['@dalston/core/contract']);
const entries = [
  '@dalston/core',
  '@dalston/core/contract',
  '@dalston/adapter-memory',
  '@dalston/adapter-postgres',
  '@dalston/adapter-redis',
  '@dalston/adapter-s3',
  '@dalston/env',
];
let failed = false;
for (const entry of entries) {
  try {
    const esm = await import(entry);
    const esmKeys = Object.keys(esm).filter((k) => k !== 'default' && k !== 'module.exports');
    if (esmKeys.length === 0) throw new Error('exports nothing');
    if (esmOnly.has(entry)) {
      let required = false;
      try {
        require(entry);
        required = true;
      } catch (e) {
        if (!/use "import"/i.test(String(e instanceof Error ? e.message : e))) throw e;
      }
      if (required) throw new Error('expected require() to refuse an ESM-only entry');
      console.log(`${entry}: esm ${esmKeys.length} exports (ESM-only: vitest cannot be required)`);
      continue;
    }
    const cjsKeys = Object.keys(require(entry));
    if (cjsKeys.length === 0) throw new Error('exports nothing under require');
    console.log(`${entry}: esm ${esmKeys.length} exports, cjs ${cjsKeys.length} exports`);
  } catch (e) {
    failed = true;
    console.error(`${entry}: ${e instanceof Error ? e.message : e}`);
  }
}
if (failed) process.exit(1);
