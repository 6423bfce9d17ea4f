#!/usr/bin/env node
// Compiles every TypeScript snippet of the docs against the built packages, so the docs
// cannot drift from the API. Reads ```ts / ```typescript blocks of README.md, docs/**/*.md,
// packages/*/README.md and examples/*/README.md; writes each to a module in a temp folder
// under .tmp/ (inside the workspace, so `@dalston/*` resolve through node_modules to the
// packages' dist/ .d.ts, exactly as a user's project does); runs tsc once over all of them.
//
// Markers, an HTML comment on the lines right before the fence (invisible on GitHub):
//   <!-- snippet: continues -->      the block continues the previous block of the same file
//                                    (a tutorial's later step uses names an earlier step made)
//   <!-- snippet-context            code prepended to the block, not shown to the reader: only
//   ...ts...                         for what the reader's own project supplies (their adapter
//   -->                              class, their handlers); listed in the output
//   <!-- snippet-module ../src/x.ts  a module the block imports from the reader's project
//   ...ts...                         (`import { pipeline } from '../src/pipeline.js'`): written
//   -->                              next to the block (which sits in test/); listed
//   <!-- snippet: skip REASON -->    not compiled: only for pseudo-code that is not TypeScript;
//                                    listed in the output
// Usage: node scripts/check-doc-snippets.mjs (after npm run build). Exits 1 on any error.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

function markdownFiles() {
  const out = [];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) out.push(p);
    }
  };
  out.push(join(root, 'README.md'));
  walk(join(root, 'docs'));
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group))) {
      const readme = join(root, group, name, 'README.md');
      if (existsSync(readme)) out.push(readme);
    }
  }
  return out;
}

/** The ts blocks of one file: { line (1-based, first code line), code, marker, context }. */
function blocks(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const block = {
      line: i + 2,
      code: lines.slice(i + 1, end).join('\n'),
      marker: null,
      context: null,
      modules: [],
    };
    // HTML comments right above the fence.
    block.modules = [];
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === '-->') {
      let k = j - 1;
      while (k >= 0 && !lines[k].startsWith('<!--')) k--;
      const head = k >= 0 ? /^<!-- snippet-(context|module)\s*(\S*)\s*$/.exec(lines[k]) : null;
      if (!head) break;
      const part = { line: k + 2, code: lines.slice(k + 1, j).join('\n') };
      if (head[1] === 'context') block.context = part;
      else block.modules.push({ ...part, path: head[2] });
      j = k - 1;
    }
    const m = j >= 0 ? /^<!-- snippet: (continues|skip)\b\s*(.*?)\s*-->$/.exec(lines[j]) : null;
    if (m) block.marker = { kind: m[1], reason: m[2] };
    out.push(block);
    i = end;
  }
  return out;
}

for (const p of ['core', 'adapter-memory', 'adapter-postgres', 'adapter-redis', 'adapter-s3', 'env']) {
  if (!existsSync(join(root, 'packages', p, 'dist/index.d.ts'))) {
    console.error(`packages/${p}/dist is missing: run \`npm run build\` first (snippets compile against it)`);
    process.exit(1);
  }
}
const tmpBase = join(root, '.tmp');
mkdirSync(tmpBase, { recursive: true });
const dir = mkdtempSync(join(tmpBase, 'doc-snippets-'));
const sources = []; // { file, lineMap: [mdLabel per generated line] }
const skipped = [];
const withContext = [];
const withModules = [];
let count = 0;
try {
  for (const md of markdownFiles()) {
    const rel = relative(root, md);
    let previous = null; // { code, lineMap }
    for (const b of blocks(md)) {
      if (b.marker?.kind === 'skip') {
        if (!b.marker.reason) throw new Error(`${rel}:${b.line}: snippet: skip needs a reason`);
        skipped.push(`${rel}:${b.line} (${b.marker.reason})`);
        continue;
      }
      const parts = [];
      const lineMap = [];
      const add = (code, label) => {
        const ls = code.split('\n');
        ls.forEach((_, n) => {
          lineMap.push(label(n));
        });
        parts.push(code);
      };
      if (b.marker?.kind === 'continues') {
        if (!previous) throw new Error(`${rel}:${b.line}: snippet: continues, but no block before it`);
        parts.push(previous.code);
        lineMap.push(...previous.lineMap);
      }
      if (b.context) {
        withContext.push(`${rel}:${b.line}`);
        add(b.context.code, (n) => `${rel}:${b.context.line + n} (snippet-context)`);
      }
      add(b.code, (n) => `${rel}:${b.line + n}`);
      const code = parts.join('\n');
      const modules = b.marker?.kind === 'continues' ? [...previous.modules, ...b.modules] : b.modules;
      previous = { code, lineMap: [...lineMap], modules };
      const slug = `${rel.replace(/[^A-Za-z0-9]+/g, '-')}-${b.line}`;
      const name = `${slug}/test/snippet.ts`;
      mkdirSync(join(dir, slug, 'test'), { recursive: true });
      writeFileSync(join(dir, name), `${code}\nexport {};\n`);
      sources.push({ name, lineMap });
      for (const m of modules) {
        if (!/^\.\.?\/[\w./-]+\.ts$/.test(m.path) || m.path.includes('../..')) {
          throw new Error(`${rel}:${m.line}: snippet-module needs a path like ../src/name.ts`);
        }
        const file = join(slug, 'test', m.path);
        mkdirSync(join(dir, file, '..'), { recursive: true });
        writeFileSync(join(dir, file), `${m.code}\n`);
        sources.push({
          name: file,
          lineMap: m.code.split('\n').map((_, n) => `${rel}:${m.line + n} (snippet-module)`),
        });
        if (!withModules.includes(`${rel}:${b.line}`)) withModules.push(`${rel}:${b.line}`);
      }
      count++;
    }
  }

  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          experimentalDecorators: true,
          types: ['node'],
        },
        files: sources.filter((s) => s.name.endsWith('/snippet.ts')).map((s) => s.name),
      },
      null,
      2,
    ),
  );

  let output = '';
  let ok = true;
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'],
      {
        cwd: dir,
        encoding: 'utf8',
        stdio: 'pipe',
      },
    );
  } catch (e) {
    ok = false;
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  // Map errors back to the markdown lines.
  const byName = new Map(sources.map((s) => [s.name, s]));
  const report = output
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(.+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
      const s = m && byName.get(relative(dir, resolve(dir, m[1])));
      if (!s) return line;
      return `${s.lineMap[Number(m[2]) - 1] ?? `${m[1]}:${m[2]}`}:${m[3]}: ${m[4]}`;
    });
  console.log(`doc snippets: ${count} TypeScript blocks compiled against the built packages`);
  if (withContext.length) console.log(`with a hidden snippet-context: ${withContext.join(', ')}`);
  if (withModules.length) console.log(`importing a snippet-module: ${withModules.join(', ')}`);
  console.log(`skipped (not TypeScript): ${skipped.length ? skipped.join(', ') : 'none'}`);
  if (!ok) {
    console.error(report.join('\n'));
    console.error('doc snippets do not compile (above); fix the docs or the API');
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
