#!/usr/bin/env node
// Dependency rule: @dalston/core imports no adapter and no driver library.
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
if (problems.length) {
  console.error(`Dependency rule broken: @dalston/core must depend on ports only.\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('dependency rule: @dalston/core imports no adapter and no driver');
