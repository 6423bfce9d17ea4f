/**
 * `npm run api`: the HTTP API with a worker in the same process. In memory by default
 * (prints a demo tenant's admin key once); PostgreSQL + Redis + S3 when
 * DALSTON_DATABASE_URL, DALSTON_REDIS_URL and DALSTON_S3_* are set. Set
 * DALSTON_INLINE_WORKER=0 and run `src/worker.ts` to scale workers separately, and
 * DALSTON_BOOTSTRAP_TENANT=<id> to create a tenant and an admin key on the real stores.
 */
import { settingsFromEnv } from './config.js';
import { startApi } from './run.js';

const settings = settingsFromEnv();
const api = await startApi({
  port: settings.port,
  host: settings.host,
  app: settings.app,
  inlineWorker: settings.inlineWorker,
  stageDelayMs: settings.stageDelayMs,
  ...(process.env.DALSTON_BOOTSTRAP_TENANT ? { bootstrapTenant: process.env.DALSTON_BOOTSTRAP_TENANT } : {}),
});
const address = api.url.replace('127.0.0.1', settings.host);
console.log(
  JSON.stringify({
    listening: address,
    mode: api.engine.mode,
    worker: api.worker !== null,
    pid: process.pid,
  }),
);
if (settings.app.consoleAdminKey && !process.env.DALSTON_CONSOLE_ADMIN_KEY) {
  console.log(
    `\nWeb console: ${address}/console (admin key, generated for this run: ${settings.app.consoleAdminKey})\n`,
  );
}
if (api.bootstrap) {
  console.log(`\nTenant "${api.bootstrap.tenantId}", admin API key (shown once, store it now):\n`);
  console.log(`  ${api.bootstrap.adminKey}\n`);
  console.log(`Try: curl -H "Authorization: Bearer ${api.bootstrap.adminKey}" ${address}/v1/jobs\n`);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
