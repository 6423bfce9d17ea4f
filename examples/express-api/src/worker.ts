/**
 * A worker process: `npm run worker -w examples/express-api` with the same
 * DALSTON_DATABASE_URL, DALSTON_REDIS_URL and DALSTON_S3_* as the API. Run as many as
 * you like, on any hosts; they share nothing but the stores. SIGTERM drains: running
 * tasks get up to 30 s to finish, unstarted leases go back to the queue.
 */
import { settingsFromEnv } from './config.js';
import { buildEngine } from './engine.js';
import { startWorker } from './run.js';

const settings = settingsFromEnv();
const engine = await buildEngine();
if (engine.mode === 'memory') {
  console.error(
    'worker.ts needs the real stores (DALSTON_DATABASE_URL, DALSTON_REDIS_URL, DALSTON_S3_BUCKET):',
  );
  console.error('an in-memory worker in its own process would share nothing with the API.');
  await engine.close();
  process.exit(2);
}
const worker = startWorker(engine, settings.stageDelayMs);
// One process per deployment should also run maintenance; any number may: passes are exclusive.
const started = await engine.dalston.maintenance.start({ intervalMs: 5_000 });
if (started.isErr()) throw started.error;
console.log(JSON.stringify({ worker: worker.id, queues: worker.queues, pid: process.pid }));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    engine.dalston.maintenance
      .stop()
      .then(() => worker.close({ deadlineMs: 30_000 }))
      .then(() => engine.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}
