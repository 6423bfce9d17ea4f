/**
 * What one measured run costs beside its throughput: CPU in every process involved and
 * statements sent to the servers.
 * - Node: `process.cpuUsage()` of this process (producer, workers and the benchmark itself).
 * - PostgreSQL: the backends serving the run's own database, found in `pg_stat_activity`
 *   (sampled every 100 ms, so backends that come and go are caught) and read from
 *   `/proc/<pid>/stat` (utime + stime of every thread).
 * - Redis: the server's pid from `INFO server`, read the same way. Commands two ways:
 *   sent by this process's ioredis clients (`Redis#sendCommand` on a ready connection,
 *   each command of a pipeline or MULTI counted, INFO excluded) and executed by the server
 *   (`INFO commandstats` deltas, which also count the commands Lua scripts run). The flow
 *   suite uses a private redis-server, so nothing else is counted.
 * - PostgreSQL statements: every `pg.Client#query` call made on a connection to the run's
 *   database (pools call it too), counted in this process. One call is one round trip; a
 *   multi-statement string counts once.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU milliseconds (user + system, all threads) of process `pid`, or NaN when it is gone. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may contain spaces) start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

// ---- PostgreSQL statements: a counter per database name, on pg.Client#query ----

const queriesByDatabase = new Map<string, number>();
let patched = false;

function patchPgQuery(): void {
  if (patched) return;
  patched = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (
    this: { database?: string; connectionParameters?: { database?: string } },
    ...args
  ) {
    const db = this.connectionParameters?.database ?? this.database;
    if (db !== undefined && queriesByDatabase.has(db))
      queriesByDatabase.set(db, (queriesByDatabase.get(db) ?? 0) + 1);
    return original.apply(this, args);
  };
}

/** Starts counting queries sent to `database` by any pg client of this process. */
export function countQueriesTo(database: string): () => number {
  patchPgQuery();
  if (!queriesByDatabase.has(database)) queriesByDatabase.set(database, 0);
  return () => queriesByDatabase.get(database) ?? 0;
}

// ---- Redis commands sent: every ioredis client of this process ----

let redisSent = 0;
let redisPatched = false;

function patchRedisSend(): void {
  if (redisPatched) return;
  redisPatched = true;
  const proto = Redis.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const original = proto.sendCommand;
  proto.sendCommand = function (this: { status: string }, ...args: unknown[]) {
    const command = args[0] as { name?: string };
    if (this.status === 'ready' && command.name !== 'info') redisSent++;
    return original.apply(this, args);
  };
}

// ---- PostgreSQL backend CPU ----

/** Samples the CPU of the backends connected to `database` until stopped. */
export class BackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> = Promise.resolve();

  private constructor(
    private readonly admin: pg.Client,
    private readonly database: string,
    private readonly ownPid: number,
  ) {}

  /** `adminUrl` must point at another database, so the sampler is not one of the sampled. */
  static async start(adminUrl: string, database: string): Promise<BackendCpu> {
    const admin = new pg.Client({ connectionString: adminUrl });
    admin.on('error', (err) => console.warn(`  cost meter: PostgreSQL connection lost: ${err.message}`));
    await admin.connect();
    const own = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const meter = new BackendCpu(admin, database, own.rows[0]!.pid);
    await meter.sample(true);
    meter.timer = setInterval(() => {
      meter.sampling = meter.sampling.then(() => meter.sample(false)).catch(() => {});
    }, 100);
    return meter;
  }

  private async sample(initial: boolean): Promise<void> {
    const r = await this.admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> $2',
      [this.database, this.ownPid],
    );
    for (const { pid } of r.rows) {
      const ms = procCpuMs(pid);
      if (Number.isNaN(ms)) continue;
      // a backend already there at the start counts from then; a new one from zero
      if (!this.first.has(pid)) this.first.set(pid, initial ? ms : 0);
      this.last.set(pid, ms);
    }
  }

  /** Takes a last sample (call it while the measured pools are still open) and stops. */
  async stop(): Promise<{ cpuMs: number; backends: number }> {
    if (this.timer) clearInterval(this.timer);
    await this.sampling;
    await this.sample(false);
    await this.admin.end();
    let cpuMs = 0;
    for (const [pid, end] of this.last) cpuMs += end - (this.first.get(pid) ?? 0);
    return { cpuMs, backends: this.last.size };
  }
}

// ---- Redis ----

async function commandCalls(client: Redis): Promise<number> {
  const info = await client.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') calls += Number(m[2]);
  return calls;
}

export async function redisServerPid(client: Redis): Promise<number> {
  const m = /process_id:(\d+)/.exec(await client.info('server'));
  return m ? Number(m[1]) : Number.NaN;
}

// ---- one run ----

export interface RunCost {
  nodeCpuMs: number;
  pgCpuMs: number;
  redisCpuMs: number;
  pgQueries: number;
  /** Sent by this process's clients. */
  redisCommands: number;
  /** Executed by the server, including those run inside scripts. */
  redisServerCommands: number;
  backends: number;
}

export interface CostMeterOptions {
  /** Admin connection (another database) for pg_stat_activity; omit for runs without PostgreSQL. */
  adminUrl?: string;
  /** The run's own database. */
  database?: string;
  /** A client on the run's Redis server; omit for runs without Redis. */
  redis?: Redis;
}

/** Starts measuring; `stop()` returns the totals since the start (divide by the jobs). */
export async function startCost(o: CostMeterOptions): Promise<{ stop(): Promise<RunCost> }> {
  const queries = o.database ? countQueriesTo(o.database) : () => 0;
  const q0 = queries();
  patchRedisSend();
  const backends = o.adminUrl && o.database ? await BackendCpu.start(o.adminUrl, o.database) : null;
  const redisPid = o.redis ? await redisServerPid(o.redis) : Number.NaN;
  const redisCpu0 = procCpuMs(redisPid);
  const calls0 = o.redis ? await commandCalls(o.redis) : 0;
  const sent0 = redisSent;
  const node0 = process.cpuUsage();
  return {
    async stop() {
      const node = process.cpuUsage(node0);
      const pgQueries = queries() - q0;
      const redisCommands = redisSent - sent0;
      const redisServerCommands = o.redis ? (await commandCalls(o.redis)) - calls0 : 0;
      const redisCpuMs = o.redis ? procCpuMs(redisPid) - redisCpu0 : 0;
      const pgb = backends ? await backends.stop() : { cpuMs: 0, backends: 0 };
      return {
        nodeCpuMs: (node.user + node.system) / 1000,
        pgCpuMs: pgb.cpuMs,
        redisCpuMs,
        pgQueries,
        redisCommands,
        redisServerCommands,
        backends: pgb.backends,
      };
    },
  };
}

/** Per-job figures of a run. */
export interface PerJob {
  cpuMs: number;
  nodeMs: number;
  pgMs: number;
  redisMs: number;
  pgStatements: number;
  /** Sent by the clients (each command of a pipeline counted). */
  redisCommands: number;
  /** Executed by the server, including the commands inside scripts. */
  redisServerCommands: number;
}

export function perJob(c: RunCost, jobs: number, extraPgQueries = 0): PerJob {
  return {
    cpuMs: (c.nodeCpuMs + c.pgCpuMs + c.redisCpuMs) / jobs,
    nodeMs: c.nodeCpuMs / jobs,
    pgMs: c.pgCpuMs / jobs,
    redisMs: c.redisCpuMs / jobs,
    pgStatements: (c.pgQueries - extraPgQueries) / jobs,
    redisCommands: c.redisCommands / jobs,
    redisServerCommands: c.redisServerCommands / jobs,
  };
}

export const describeCost = (p: PerJob): string =>
  `CPU ${p.cpuMs.toFixed(2)} ms/job (node ${p.nodeMs.toFixed(2)}, pg ${p.pgMs.toFixed(2)}, redis ${p.redisMs.toFixed(2)}), ` +
  `${p.pgStatements.toFixed(1)} pg stmts + ${p.redisCommands.toFixed(1)} redis cmds/job ` +
  `(redis server ran ${p.redisServerCommands.toFixed(1)} incl. script calls)`;
