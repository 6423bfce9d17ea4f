#!/usr/bin/env node
// Imports every built @dalston/* entry point with both `import` and `require`, the way a user would.
// Then runs an engine from a fresh ESM and a fresh CJS process that never import
// `reflect-metadata` themselves: hosts need no `import 'reflect-metadata'` (core loads it
// before tsyringe), so user-facing snippets must not show one.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The contract suite runs inside vitest, which is ESM-only: `import` must work, and a
// `require()` must fail with vitest's own message saying to use import.
const esmOnly = new Set(['@dalston/core/contract']);
const entries = [
  '@dalston/core',
  '@dalston/core/adapter',
  '@dalston/core/contract',
  '@dalston/core/tsyringe',
  '@dalston/adapter-memory',
  '@dalston/adapter-postgres',
  '@dalston/adapter-redis',
  '@dalston/adapter-s3',
  '@dalston/env',
  '@dalston/cli',
  '@dalston/console',
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

const engineRun = (load) => `
if (typeof Reflect.getMetadata === 'function') throw new Error('reflect-metadata was loaded before @dalston/core');
${load}
const dalston = createDalston({
  adapters: memoryAdapters(),
  pipeline: { build: () => [{ stage: 'a', queue: 'q' }, { stage: 'b', queue: 'q', dependsOn: ['a'] }] },
});
(async () => {
  (await dalston.tenants.create({ id: 'acme', name: 'Acme' }))._unsafeUnwrap();
  dalston.createWorker({ queues: ['q'], handler: (ctx) => ({ stage: ctx.task.stage }) });
  const job = (await dalston.jobs.submit({ tenantId: 'acme', parameters: {} }))._unsafeUnwrap();
  for await (const _ of dalston.jobs.events('acme', job.id));
  const status = (await dalston.jobs.get('acme', job.id))._unsafeUnwrap().status;
  await dalston.close();
  if (status !== 'completed') throw new Error('job ended ' + status);
  console.log(status);
})().catch((e) => { console.error(e); process.exit(1); });
`;
const runs = {
  esm: [
    '--input-type=module',
    engineRun(
      "const { createDalston } = await import('@dalston/core');\nconst { memoryAdapters } = await import('@dalston/adapter-memory');",
    ),
  ],
  cjs: [
    '--input-type=commonjs',
    engineRun(
      "const { createDalston } = require('@dalston/core');\nconst { memoryAdapters } = require('@dalston/adapter-memory');",
    ),
  ],
};
for (const [kind, [inputType, code]] of Object.entries(runs)) {
  try {
    const out = execFileSync(process.execPath, [inputType, '-e', code], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    console.log(`engine without reflect-metadata (${kind}): job ${out.trim()}`);
  } catch (e) {
    failed = true;
    console.error(`engine without reflect-metadata (${kind}): ${e instanceof Error ? e.message : e}`);
  }
}
if (failed) process.exit(1);
