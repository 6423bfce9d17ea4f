#!/usr/bin/env node
// Dependency rule: @dalston/core imports no adapter and no driver library, and every other
// package takes @dalston/core as a peer dependency (never a dependency).
// Checks every import/require/export-from specifier in packages/core/src and the
// dependencies declared in packages/core/package.json.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const FORBIDDEN = [
  /^pg(\/|$)/,
  /^pg-/,
  /^ioredis(\/|$)/,
  /^redis(\/|$)/,
  /^@aws-sdk\//,
  /^@dalston\/adapter-/,
  /^@smithy\//,
];
const root = new URL('../packages/core/', import.meta.url).pathname;
const problems = [];

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|mts|cts|js|mjs)$/.test(name)) check(p);
  }
}
function check(file) {
  const src = readFileSync(file, 'utf8');
  const re = /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (FORBIDDEN.some((f) => f.test(m[1]))) problems.push(`${file}: imports ${m[1]}`);
  }
}
walk(join(root, 'src'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
  for (const dep of Object.keys(pkg[field] ?? {})) {
    if (FORBIDDEN.some((f) => f.test(dep))) problems.push(`packages/core/package.json ${field}: ${dep}`);
  }
}
// Adapters and env take @dalston/core as a peer dependency (one copy of core per project).
const packagesDir = new URL('../packages/', import.meta.url).pathname;
for (const name of readdirSync(packagesDir)) {
  if (name === 'core') continue;
  const file = join(packagesDir, name, 'package.json');
  const p = JSON.parse(readFileSync(file, 'utf8'));
  if (p.dependencies?.['@dalston/core'])
    problems.push(`packages/${name}/package.json: @dalston/core must be a peerDependency, not a dependency`);
  if (!p.peerDependencies?.['@dalston/core'])
    problems.push(`packages/${name}/package.json: peerDependencies lacks @dalston/core`);
}
if (problems.length) {
  console.error(`Dependency rule broken:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(
  'dependency rule: @dalston/core imports no adapter and no driver; the other packages take it as a peer',
);
