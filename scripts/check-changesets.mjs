#!/usr/bin/env node
/**
 * Every changeset must parse the way `changeset version` will read it, and name only
 * published @dalston/* workspace packages. (A Markdown formatter once turned the front
 * matter of one-package changesets into a heading; this catches that in CI.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const parse = require('@changesets/parse').default;
const root = new URL('..', import.meta.url).pathname;

const published = new Set(
  readdirSync(join(root, 'packages')).flatMap((dir) => {
    try {
      const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
      return pkg.private ? [] : [pkg.name];
    } catch {
      return [];
    }
  }),
);

const problems = [];
const files = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
for (const file of files) {
  try {
    const { releases, summary } = parse(readFileSync(join(root, '.changeset', file), 'utf8'));
    if (releases.length === 0) problems.push(`${file}: names no package`);
    for (const r of releases) {
      if (!published.has(r.name)) problems.push(`${file}: "${r.name}" is not a published workspace package`);
      if (!['patch', 'minor', 'major'].includes(r.type))
        problems.push(`${file}: bad bump "${r.type}" for ${r.name}`);
    }
    if (!summary.trim()) problems.push(`${file}: empty summary`);
  } catch (e) {
    problems.push(`${file}: does not parse (${e instanceof Error ? e.message.split('\n')[0] : e})`);
  }
}
if (problems.length > 0) {
  console.error(`changesets:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`changesets: ${files.length} parse and name published packages`);
