#!/usr/bin/env bash
# Checks every @dalston/* package the way a user receives it:
#   1. publint --strict and attw (@arethetypeswrong/cli) on the packed package;
#   2. npm pack of each package into a temp dir;
#   3. scratch projects OUTSIDE the workspace (mktemp -d) that install the tarballs with a
#      plain `npm install` (registry dependencies come from npm as for any user; no
#      --force, no --legacy-peer-deps) and fail on any npm warning (peer, ERESOLVE, ...):
#      - app6: every package plus `ioredis` unversioned (today's latest, ioredis 6), as the
#        getting-started command does;
#      - app5: core, the memory and the Redis adapter plus `ioredis@5`.
#      Each runs: an engine in memory mode (ESM and CJS, a 2-task job to completion); the
#      same job with the Redis ports opened from a URL (DALSTON_TEST_REDIS_URL, default
#      redis://127.0.0.1:6379, own key prefix, deleted afterwards); a DalstonError from the
#      CJS copy of core recognised by the ESM copy (two copies in one process); and a
#      TypeScript file type-checked against the installed .d.ts and that ioredis' types.
# Builds the packages first when a dist/ is missing. Usage: bash scripts/check-packages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
packages=(packages/core packages/adapter-memory packages/adapter-postgres packages/adapter-redis packages/adapter-s3 packages/env packages/cli packages/console)

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

case "$work" in "$root"/*) echo "scratch dir is inside the workspace" >&2; exit 1 ;; esac
export DALSTON_CHECK_REDIS_URL="${DALSTON_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
tarball() { ls "$work"/tarballs/dalston-"$1"-*.tgz; }

# Plain `npm install` in $1 of the rest of the arguments; fails on any npm warning.
install_scratch() {
  local dir=$1
  shift
  mkdir -p "$dir"
  printf '{ "name": "dalston-pack-check", "private": true, "version": "0.0.0" }\n' >"$dir/package.json"
  echo "-- (cd $dir && npm install --no-audit --no-fund $(printf '%s ' "$@" | sed "s|$work/tarballs/||g"))"
  if ! (cd "$dir" && npm install --no-audit --no-fund "$@") >"$dir/npm-install.log" 2>&1; then
    cat "$dir/npm-install.log"
    echo "npm install failed in $dir" >&2
    exit 1
  fi
  cat "$dir/npm-install.log"
  if grep -Ei '^npm (warn|error)|ERESOLVE|peer dep' "$dir/npm-install.log"; then
    echo "npm install in $dir printed warnings (above): the packages do not install cleanly" >&2
    exit 1
  fi
  (cd "$dir" && npm ls --all >/dev/null) || {
    (cd "$dir" && npm ls --all)
    echo "npm ls reports problems in $dir" >&2
    exit 1
  }
}

write_checks() {
  local dir=$1
  cat >"$dir/check.mjs" <<'JS'
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

  cat >"$dir/check.cjs" <<'JS'
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

  # The Redis ports opened from a URL by the installed adapter (so on the installed
  # ioredis), a 2-task job through them; then the CJS copy of core and of the adapter
  # throw DalstonErrors that the ESM copy recognises.
  cat >"$dir/check-redis.mjs" <<'JS'
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { memoryAdapters } from '@dalston/adapter-memory';
import { redisAdapters } from '@dalston/adapter-redis';
import { createDalston, DalstonError, isDalstonError } from '@dalston/core';

const require = createRequire(import.meta.url);
const ioredis = require('ioredis/package.json').version;
const prefix = `dalston-pack-${randomBytes(4).toString('hex')}`;
const redis = redisAdapters({ url: process.env.DALSTON_CHECK_REDIS_URL, prefix });
const { workQueue, sessionStore, rateLimitStore, eventBus } = redis;
const dalston = createDalston({
  adapters: { ...memoryAdapters(), workQueue, sessionStore, rateLimitStore, eventBus },
  pipeline: { build: () => [{ stage: 'first', queue: 'work' }, { stage: 'second', queue: 'work', dependsOn: ['first'] }] },
});
let status;
try {
  (await dalston.tenants.create({ id: 'acme', name: 'Acme' }))._unsafeUnwrap();
  dalston.createWorker({ queues: ['work'], handler: (ctx) => ({ stage: ctx.task.stage }) });
  const job = (await dalston.jobs.submit({ tenantId: 'acme', parameters: {} }))._unsafeUnwrap();
  for await (const _ of dalston.jobs.events('acme', job.id));
  status = (await dalston.jobs.get('acme', job.id))._unsafeUnwrap().status;
} finally {
  await dalston.close();
  let cursor = '0';
  do {
    const [next, keys] = await redis.client.scan(cursor, 'MATCH', `{${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.client.del(...keys);
  } while (cursor !== '0');
  await redis.close();
}

// Two copies of core in one process: the CJS build (required) and the ESM build (imported).
const cjsCore = require('@dalston/core');
const cjsRedis = require('@dalston/adapter-redis');
if (cjsCore.DalstonError === DalstonError) throw new Error('expected two copies of core (ESM and CJS)');
let fromAdapter;
try {
  cjsRedis.redisAdapters({ url: 'http://not-redis' });
} catch (e) {
  fromAdapter = e;
}
const brand = {
  adapterErrorRecognised: isDalstonError(fromAdapter) && fromAdapter instanceof DalstonError,
  code: fromAdapter?.code,
  crossCopy: new cjsCore.DalstonError('NOT_FOUND', 'x') instanceof DalstonError && cjsCore.isDalstonError(new DalstonError('CONFLICT', 'y')),
};
console.log(JSON.stringify({ module: 'esm', ioredis, redis: status, brand }));
if (status !== 'completed' || !brand.adapterErrorRecognised || brand.code !== 'VALIDATION_FAILED' || !brand.crossCopy) process.exit(1);
JS

  # Types as a host compiles them: the host's own ioredis client handed to the adapter.
  cat >"$dir/check-types.ts" <<'TS'
import { memoryAdapters } from '@dalston/adapter-memory';
import { redisAdapters, type RedisClient } from '@dalston/adapter-redis';
import { createDalston, isDalstonError } from '@dalston/core';
import { Cluster, Redis } from 'ioredis';

const client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true });
const clients: RedisClient[] = [client, cluster];
const redis = redisAdapters({ client, prefix: 'typed' });
const dalston = createDalston({
  adapters: { ...memoryAdapters(), workQueue: redis.workQueue, eventBus: redis.eventBus },
  pipeline: { build: () => [{ stage: 'only', queue: 'work' }] },
});
export async function run(): Promise<string> {
  try {
    await dalston.close();
  } catch (e) {
    if (isDalstonError(e)) return e.code;
  }
  return String(clients.length);
}
TS
  cat >"$dir/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "types": ["node"],
    "typeRoots": ["$root/node_modules/@types"]
  },
  "files": ["check-types.ts"]
}
JSON
}

run_checks() {
  local dir=$1 major=$2
  local got
  got=$(cd "$dir" && node -p "require('ioredis/package.json').version")
  case "$got" in "$major".*) echo "-- ioredis $got installed" ;; *) echo "expected ioredis $major.x in $dir, got $got" >&2; exit 1 ;; esac
  (cd "$dir" && node -e "for (const p of ['@dalston/core','@dalston/adapter-memory','@dalston/adapter-redis']) { const r = require.resolve(p); if (r.includes('$root')) throw new Error(p + ' resolved inside the workspace: ' + r); console.log(p, '->', r); }")
  write_checks "$dir"
  echo "== ESM ($dir)"
  (cd "$dir" && timeout 60 node check.mjs)
  echo "== CJS ($dir)"
  (cd "$dir" && timeout 60 node check.cjs)
  echo "== Redis from a URL, two copies of core ($dir)"
  (cd "$dir" && timeout 60 node check-redis.mjs)
  echo "== types against the installed .d.ts and ioredis $got ($dir)"
  (cd "$dir" && node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json)
}

# The installed `dalston` bin: help, the refusal without stores (exit 2), and `migrate` on a
# scratch schema of the test database (dropped afterwards).
check_cli() {
  local dir=$1 code=0 schema
  echo "== dalston CLI ($dir)"
  (cd "$dir" && npx --no-install dalston --help | grep -q 'Usage: dalston')
  (cd "$dir" && env -u DALSTON_DATABASE_URL -u DALSTON_REDIS_URL -u DALSTON_S3_BUCKET npx --no-install dalston health 2>"$dir/cli.err") || code=$?
  if [ "$code" != 2 ] || ! grep -q 'no stores configured' "$dir/cli.err"; then
    cat "$dir/cli.err"
    echo "dalston health without stores: expected exit 2 and 'no stores configured', got $code" >&2
    exit 1
  fi
  schema="pack_$(node -e "process.stdout.write(require('node:crypto').randomBytes(4).toString('hex'))")"
  local url="${DALSTON_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
  (cd "$dir" && DALSTON_DATABASE_URL="$url" DALSTON_DATABASE_SCHEMA="$schema" npx --no-install dalston migrate) | tee "$dir/cli.out"
  psql "$url" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null
  grep -q "schema $schema migrated to version" "$dir/cli.out"
}

# The installed console mounted on the scratch project's own Express: the sign-in redirect
# and a page served with the admin key, from an engine in memory mode.
check_console() {
  local dir=$1
  echo "== @dalston/console ($dir)"
  cat >"$dir/check-console.mjs" <<'JS'
import { memoryAdapters } from '@dalston/adapter-memory';
import { dalstonConsole } from '@dalston/console';
import { createDalston } from '@dalston/core';
import express from 'express';

const dalston = createDalston({ adapters: memoryAdapters(), pipeline: { build: () => [{ stage: 'only', queue: 'work' }] } });
(await dalston.tenants.create({ id: 'acme', name: 'Acme' }))._unsafeUnwrap();
const adminKey = 'pack-check-admin-key-0123456789';
const app = express().use('/console', dalstonConsole({ dalston, auth: { adminKey } }));
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${server.address().port}/console`;
const anonymous = await fetch(`${base}/tenants`, { redirect: 'manual' });
const page = await fetch(`${base}/tenants`, { headers: { authorization: `Bearer ${adminKey}` } });
const text = await page.text();
server.close();
await dalston.close();
console.log(JSON.stringify({ anonymous: anonymous.status, page: page.status, listsTenant: text.includes('acme') }));
if (anonymous.status !== 303 || page.status !== 200 || !text.includes('acme')) process.exit(1);
JS
  (cd "$dir" && timeout 60 node check-console.mjs)
}

echo "== scratch project $work/app6: every package + ioredis (latest)"
install_scratch "$work/app6" \
  "$(tarball core)" "$(tarball adapter-memory)" "$(tarball adapter-postgres)" \
  "$(tarball adapter-redis)" "$(tarball adapter-s3)" "$(tarball env)" "$(tarball cli)" "$(tarball console)" express ioredis
run_checks "$work/app6" 6
check_cli "$work/app6"
check_console "$work/app6"

echo "== scratch project $work/app5: core, memory, redis + ioredis@5"
install_scratch "$work/app5" "$(tarball core)" "$(tarball adapter-memory)" "$(tarball adapter-redis)" ioredis@5
run_checks "$work/app5" 5

echo "packages OK: publint, attw, plain npm install with ioredis 6 and 5 (no warnings), ESM and CJS, Redis from a URL, brand across copies, types, the dalston bin"
