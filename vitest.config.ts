import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@dalston\/core\/adapter$/, replacement: src('./packages/core/src/adapter.ts') },
      { find: /^@dalston\/core\/contract$/, replacement: src('./packages/core/src/contract/index.ts') },
      { find: /^@dalston\/core\/tsyringe$/, replacement: src('./packages/core/src/tsyringe.ts') },
      { find: /^@dalston\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@dalston\/adapter-memory$/, replacement: src('./packages/adapter-memory/src/index.ts') },
      { find: /^@dalston\/adapter-postgres$/, replacement: src('./packages/adapter-postgres/src/index.ts') },
      { find: /^@dalston\/adapter-redis$/, replacement: src('./packages/adapter-redis/src/index.ts') },
      { find: /^@dalston\/adapter-s3$/, replacement: src('./packages/adapter-s3/src/index.ts') },
      { find: /^@dalston\/env$/, replacement: src('./packages/env/src/index.ts') },
      { find: /^@dalston\/cli$/, replacement: src('./packages/cli/src/index.ts') },
      { find: /^@dalston\/console$/, replacement: src('./packages/console/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    setupFiles: ['reflect-metadata'],
    // The AWS SDK prints a Node 20 support notice per process; it says nothing about the tests.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
