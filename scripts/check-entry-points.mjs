#!/usr/bin/env node
// Imports every built @dalston/* entry point with both `import` and `require`, the way a user would.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const entries = [
  '@dalston/core',
  '@dalston/core/contract',
  '@dalston/adapter-memory',
  '@dalston/adapter-postgres',
  '@dalston/adapter-redis',
  '@dalston/adapter-s3',
];
let failed = false;
for (const entry of entries) {
  try {
    const esm = await import(entry);
    const cjs = require(entry);
    const esmKeys = Object.keys(esm).filter((k) => k !== 'default' && k !== 'module.exports');
    const cjsKeys = Object.keys(cjs);
    if (esmKeys.length === 0 || cjsKeys.length === 0) throw new Error('exports nothing');
    console.log(`${entry}: esm ${esmKeys.length} exports, cjs ${cjsKeys.length} exports`);
  } catch (e) {
    failed = true;
    console.error(`${entry}: ${e instanceof Error ? e.message : e}`);
  }
}
if (failed) process.exit(1);
