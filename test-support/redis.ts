/**
 * Redis for tests.
 *
 * - `testRedisUrl()`: the shared server. `DALSTON_TEST_REDIS_URL` when set; otherwise a
 *   Redis container through testcontainers when a container runtime answers; otherwise an
 *   Error saying how to provide one (never a silent skip). Tests give each file its own
 *   key prefix and never FLUSHALL this server.
 * - `startRedisServer()`: a private `redis-server` on a free loopback port, for fault tests
 *   that kill and restart it (by pid). Nothing is persisted: a restart loses data and the
 *   Lua script cache, as a real crash would.
 * - `startRedisCluster()`: three masters (`--cluster-enabled yes`, no replicas) on free
 *   ports, joined with `redis-cli --cluster create`, ready when `cluster info` says ok.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

let containerUrl: Promise<string> | undefined;

/** The URL of the shared test Redis. Throws with instructions when none is available. */
export async function testRedisUrl(): Promise<string> {
  const fromEnv = process.env.DALSTON_TEST_REDIS_URL;
  if (fromEnv) return fromEnv;
  containerUrl ??= startContainer();
  return containerUrl;
}

async function startContainer(): Promise<string> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (cause) {
    throw new Error(
      'No Redis for the tests: set DALSTON_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379, start one with ' +
        '`redis-server --port 6379 --save "" --appendonly no`) or make a Docker engine reachable for testcontainers.',
      { cause },
    );
  }
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  return container.getConnectionUrl();
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Pid of the running server (changes on restart); undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGKILLs the server (data and script cache are lost). */
  kill(): Promise<void>;
  /** Kills it if running, then starts it again on the same port (empty). */
  restart(): Promise<void>;
  /** Stops the server for good. */
  stop(): Promise<void>;
}

/** Starts a private `redis-server --port <free> --save "" --appendonly no`. */
export async function startRedisServer(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'dalston-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawnRedis(['--port', String(port), '--dir', dir]);
    await waitForPing(port, child);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    await killChild(c);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestRedisCluster {
  /** `{ host, port }` of each master, for `new Cluster(nodes)`. */
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/** Starts a three-master Redis Cluster on free loopback ports and waits until it is ok. */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'dalston-redis-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => killChild(c)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports = await clusterPorts(3);
    for (const port of ports) {
      const child = spawnRedis([
        '--port',
        String(port),
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '2000',
      ]);
      children.push(child);
    }
    await Promise.all(ports.map((p, i) => waitForPing(p, children[i]!)));
    await createCluster(ports);
    await waitForClusterOk(ports);
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Spawns `redis-server` on loopback, without persistence, with `args` appended. */
export function spawnRedis(args: string[]): ChildProcess {
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.resume();
  return child;
}

/** SIGKILLs a child and waits for its exit (no-op when it already exited). */
export async function killChild(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

/** Waits until the server on `port` answers PING (rejects if `child` exits first). */
export async function waitForPing(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited (${child.exitCode})`);
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 1_000 });
      if (stdout.trim() === 'PONG') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
}

/** `redis-cli --cluster create` over these running cluster-enabled servers: all masters, no replicas. */
export async function createCluster(ports: number[]): Promise<void> {
  await run(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { timeout: 20_000 },
  );
}

async function waitForClusterOk(ports: number[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const states = await Promise.all(
      ports.map(async (p) => {
        const { stdout } = await run('redis-cli', ['-p', String(p), 'cluster', 'info'], { timeout: 1_000 });
        return /cluster_state:ok/.test(stdout);
      }),
    );
    if (states.every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Redis Cluster on ports ${ports.join(', ')} did not reach cluster_state:ok`);
}

/** A free TCP port on the loopback interface. */
export function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(got));
    });
  });
}

/** Ports p whose cluster bus port p + 10000 is free too. */
export async function clusterPorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n && tries < 200; tries++) {
    const p = 20_000 + Math.floor(Math.random() * 20_000);
    if (out.includes(p)) continue;
    try {
      await freePort(p);
      await freePort(p + 10_000);
      out.push(p);
    } catch {
      // taken, try another
    }
  }
  if (out.length < n) throw new Error('no free ports for a Redis Cluster');
  return out;
}
