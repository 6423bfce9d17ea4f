/**
 * A private three-master Redis Cluster whose masters can be SIGKILLed and started again,
 * for fault tests. Each node keeps its `--cluster-config-file` (`nodes-<port>.conf`) in
 * the set's temporary folder, so a restarted node comes back with the same node id and
 * slots and rejoins by itself; it has no persistence, so it comes back empty (the data
 * of its slots is lost). `cluster-require-full-coverage no`: while one master is down only
 * its slots are unavailable, the others keep serving.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterPorts, createCluster, killChild, spawnRedis, waitForPing } from './redis.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RestartableCluster {
  nodes: { host: string; port: number }[];
  ports: number[];
  /** SIGKILLs the master on `port`. */
  kill(port: number): Promise<void>;
  /** Starts it again on the same port with its nodes.conf (empty data). */
  start(port: number): Promise<void>;
  /** Waits until every node reports `cluster_state:ok` and knows every other as connected. */
  waitOk(timeoutMs?: number): Promise<void>;
  /** The port of the master serving the key's slot. */
  masterOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 2_000 });
  return stdout.trim();
}

export async function startRestartableCluster(): Promise<RestartableCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'dalston-cluster-'));
  const children = new Map<number, ChildProcess>();
  const stop = async () => {
    await Promise.all([...children.values()].map((c) => killChild(c)));
    children.clear();
    await rm(dir, { recursive: true, force: true });
  };
  const start = async (port: number) => {
    const child = spawnRedis([
      '--port',
      String(port),
      '--dir',
      dir,
      '--dbfilename',
      `dump-${port}.rdb`,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '2000',
      '--cluster-require-full-coverage',
      'no',
    ]);
    children.set(port, child);
    await waitForPing(port, child);
  };
  const waitOk = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const states = await Promise.all(
        ports.map(async (p) => {
          const info = await cli(p, 'cluster', 'info').catch(() => '');
          const nodes = await cli(p, 'cluster', 'nodes').catch(() => '');
          const lines = nodes.split('\n').filter(Boolean);
          return (
            /cluster_state:ok/.test(info) &&
            lines.length === ports.length &&
            lines.every((l) => / connected/.test(l) && !/fail/.test(l.split(' ')[2] ?? ''))
          );
        }),
      );
      if (states.every(Boolean)) return;
      await sleep(100);
    }
    throw new Error(`Redis Cluster on ports ${ports.join(', ')} did not settle`);
  };
  let ports: number[] = [];
  try {
    ports = await clusterPorts(3);
    for (const p of ports) await start(p);
    await createCluster(ports);
    await waitOk();
    return {
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      ports,
      kill: async (port) => {
        await killChild(children.get(port));
        children.delete(port);
      },
      start,
      waitOk,
      masterOf: async (key) => {
        const slot = Number(await cli(ports[0]!, 'cluster', 'keyslot', key));
        for (const line of (await cli(ports[0]!, 'cluster', 'nodes')).split('\n')) {
          const parts = line.split(' ');
          for (const range of parts.slice(8)) {
            const [lo, hi = lo] = range.split('-').map(Number);
            if (slot >= lo! && slot <= hi!) return Number(parts[1]!.split(':')[1]!.split('@')[0]);
          }
        }
        throw new Error(`no master for slot ${slot}`);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
