#!/usr/bin/env bash
# Checks every @dalston/* package the way a user receives it:
#   1. publint --strict and attw (@arethetypeswrong/cli) on the packed package;
#   2. npm pack of each package into a temp dir;
#   3. a scratch project OUTSIDE the workspace (mktemp -d) that installs the tarballs of
#      @dalston/core and @dalston/adapter-memory (their registry dependencies come from
#      npm as for any user) and runs an ESM and a CJS script: an engine in memory mode, a
#      2-task job run to completion by a worker, the result printed.
# Builds the packages first when a dist/ is missing. Usage: bash scripts/check-packages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
packages=(packages/core packages/adapter-memory packages/adapter-postgres packages/adapter-redis packages/adapter-s3 packages/env)

for p in "${packages[@]}"; do
  if [ ! -f "$p/dist/index.js" ] || [ ! -f "$p/dist/index.cjs" ]; then
    echo "== build (dist missing in $p)"
    npm run build
    break
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/dalston-pack-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tarballs" "$work/app"

echo "== publint and attw"
for p in "${packages[@]}"; do
  name=$(node -p "require('./$p/package.json').name")
  echo "-- $name"
  (cd "$p" && npx --no-install publint run --strict --level warning)
  (cd "$p" && npx --no-install attw --pack . --format table-flipped --no-emoji --no-color)
done

echo "== npm pack"
for p in "${packages[@]}"; do
  (cd "$p" && npm pack --silent --pack-destination "$work/tarballs" >/dev/null)
done
ls -1 "$work/tarballs"

echo "== scratch project in $work/app (outside the workspace)"
case "$work" in "$root"/*) echo "scratch dir is inside the workspace" >&2; exit 1 ;; esac
cd "$work/app"
printf '{ "name": "dalston-pack-check", "private": true, "version": "0.0.0" }\n' > package.json
npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "$work"/tarballs/dalston-core-*.tgz "$work"/tarballs/dalston-adapter-memory-*.tgz
node -e "for (const p of ['@dalston/core','@dalston/adapter-memory']) { const r = require.resolve(p); if (r.includes('$root')) throw new Error(p + ' resolved inside the workspace: ' + r); console.log(p, '->', r); }"

cat > check.mjs <<'JS'
import { createDalston } from '@dalston/core';
import { memoryAdapters } from '@dalston/adapter-memory';

const dalston = createDalston({
  adapters: memoryAdapters(),
  pipeline: { build: () => [{ stage: 'first', queue: 'work' }, { stage: 'second', queue: 'work', dependsOn: ['first'] }] },
});
const tenant = await dalston.tenants.create({ id: 'acme', name: 'Acme' });
if (tenant.isErr()) throw tenant.error;
dalston.createWorker({ queues: ['work'], handler: (ctx) => ({ stage: ctx.task.stage, parents: Object.keys(ctx.parents) }) });
const job = await dalston.jobs.submit({ tenantId: 'acme', parameters: { n: 2 } });
if (job.isErr()) throw job.error;
const events = [];
for await (const e of dalston.jobs.events('acme', job.value.id)) events.push(e.type);
const done = await dalston.jobs.get('acme', job.value.id);
await dalston.close();
console.log(JSON.stringify({ module: 'esm', status: done._unsafeUnwrap().status, events }));
if (done._unsafeUnwrap().status !== 'completed') process.exit(1);
JS

cat > check.cjs <<'JS'
const { createDalston } = require('@dalston/core');
const { memoryAdapters } = require('@dalston/adapter-memory');

(async () => {
  const dalston = createDalston({
    adapters: memoryAdapters(),
    pipeline: { build: () => [{ stage: 'first', queue: 'work' }, { stage: 'second', queue: 'work', dependsOn: ['first'] }] },
  });
  (await dalston.tenants.create({ id: 'acme', name: 'Acme' }))._unsafeUnwrap();
  dalston.createWorker({ queues: ['work'], handler: (ctx) => ({ stage: ctx.task.stage }) });
  const job = (await dalston.jobs.submit({ tenantId: 'acme', parameters: {} }))._unsafeUnwrap();
  const events = [];
  for await (const e of dalston.jobs.events('acme', job.id)) events.push(e.type);
  const done = (await dalston.jobs.get('acme', job.id))._unsafeUnwrap();
  await dalston.close();
  console.log(JSON.stringify({ module: 'cjs', status: done.status, events }));
  if (done.status !== 'completed') process.exit(1);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
JS

echo "== ESM"
timeout 60 node check.mjs
echo "== CJS"
timeout 60 node check.cjs
echo "packages OK: publint, attw, packed install (ESM and CJS)"
