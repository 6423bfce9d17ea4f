/**
 * A private Redis Sentinel set for fault tests: one primary, one replica and three
 * sentinels (`redis-server <conf> --sentinel`), all on free loopback ports, in a temporary
 * folder, without persistence. Quorum 2, `down-after-milliseconds` 1000, so a SIGKILLed
 * primary is replaced within a few seconds. Only this set's own pids are ever killed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, killChild, spawnRedis, waitForPing } from './redis.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TestSentinelSet {
  /** The master group name the sentinels monitor. */
  name: string;
  sentinels: { host: string; port: number }[];
  /** Ports of the two data servers (the first started as primary). */
  serverPorts: number[];
  /** The primary the sentinels name now. */
  primaryPort(): Promise<number>;
  /** `master` or `slave` as the server on `port` reports it (null when unreachable). */
  roleOf(port: number): Promise<string | null>;
  /** SIGKILLs the data server on `port` (its data is lost). */
  killServer(port: number): Promise<void>;
  /** Starts the data server on `port` again, empty and as a primary: Sentinel reconfigures it. */
  startServer(port: number): Promise<void>;
  /** Waits until every sentinel names a primary other than `port`; returns the new one. */
  waitForNewPrimary(oldPort: number, timeoutMs?: number): Promise<number>;
  /** Waits until the server on `port` is a replica of `primary` with its link up. */
  waitForReplica(port: number, primary: number, timeoutMs?: number): Promise<void>;
  /** `SENTINEL FAILOVER <name>` on the first sentinel (a switchover without agreement). */
  failover(): Promise<void>;
  stop(): Promise<void>;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 2_000 });
  return stdout.trim();
}

export async function startSentinelSet(name = 'dalston'): Promise<TestSentinelSet> {
  const dir = await mkdtemp(join(tmpdir(), 'dalston-sentinel-'));
  const servers = new Map<number, ChildProcess>();
  const sentinelChildren: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all([...servers.values(), ...sentinelChildren].map((c) => killChild(c)));
    servers.clear();
    await rm(dir, { recursive: true, force: true });
  };
  const startServer = async (port: number, replicaOf?: number) => {
    const args = ['--port', String(port), '--dir', dir, '--dbfilename', `dump-${port}.rdb`];
    if (replicaOf) args.push('--replicaof', '127.0.0.1', String(replicaOf));
    const child = spawnRedis(args);
    servers.set(port, child);
    await waitForPing(port, child);
  };
  try {
    const [primary, replica] = [await freePort(), await freePort()];
    await startServer(primary!);
    await startServer(replica!, primary);
    const sentinelPorts = [await freePort(), await freePort(), await freePort()];
    for (const port of sentinelPorts) {
      const conf = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn('redis-server', [conf, '--sentinel', '--loglevel', 'warning'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.resume();
      sentinelChildren.push(child);
      await waitForPing(port, child);
    }
    const set: TestSentinelSet = {
      name,
      sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      serverPorts: [primary!, replica!],
      primaryPort: async () => {
        const out = await cli(sentinelPorts[0]!, 'sentinel', 'get-master-addr-by-name', name);
        return Number(out.split('\n')[1]);
      },
      roleOf: async (port) => {
        try {
          return (await cli(port, 'role')).split('\n')[0] ?? null;
        } catch {
          return null;
        }
      },
      killServer: async (port) => {
        await killChild(servers.get(port));
        servers.delete(port);
      },
      startServer: (port) => startServer(port),
      waitForNewPrimary: async (oldPort, timeoutMs = 30_000) => {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          const named = await Promise.all(
            sentinelPorts.map((p) =>
              cli(p, 'sentinel', 'get-master-addr-by-name', name).then(
                (out) => Number(out.split('\n')[1]),
                () => 0,
              ),
            ),
          );
          const first = named[0]!;
          if (first !== oldPort && first > 0 && named.every((n) => n === first)) {
            if ((await set.roleOf(first)) === 'master') return first;
          }
          await sleep(50);
        }
        throw new Error(`sentinels did not replace primary ${oldPort} within ${timeoutMs} ms`);
      },
      waitForReplica: async (port, primaryPort, timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          const info = await cli(port, 'info', 'replication').catch(() => '');
          if (
            /role:slave/.test(info) &&
            new RegExp(`master_port:${primaryPort}\\b`).test(info) &&
            /master_link_status:up/.test(info)
          ) {
            return;
          }
          await sleep(100);
        }
        throw new Error(`server ${port} did not become a replica of ${primaryPort} within ${timeoutMs} ms`);
      },
      failover: async () => {
        const out = await cli(sentinelPorts[0]!, 'sentinel', 'failover', name);
        if (out !== 'OK') throw new Error(`SENTINEL FAILOVER answered ${out}`);
      },
      stop,
    };
    await waitForSentinelsReady(set);
    return set;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Every sentinel knows the replica and the other sentinels (a failover needs both). */
async function waitForSentinelsReady(set: TestSentinelSet, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await Promise.all(
      set.sentinels.map(async ({ port }) => {
        const master = await cli(port, 'sentinel', 'master', set.name).catch(() => '');
        const fields = master.split('\n');
        const value = (k: string) => fields[fields.indexOf(k) + 1];
        return value('num-slaves') === '1' && value('num-other-sentinels') === '2';
      }),
    );
    if (ok.every(Boolean)) return;
    await sleep(100);
  }
  throw new Error('sentinels did not discover the replica and each other in time');
}
