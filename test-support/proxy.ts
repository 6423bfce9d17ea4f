/**
 * A TCP proxy on a free loopback port, in front of one upstream, for fault tests.
 *
 * - `pass()`: forward traffic both ways (the default).
 * - `cut()`: destroy every open socket pair now (clients see ECONNRESET); new connections
 *   are still accepted and forwarded unless another mode is set.
 * - `blackhole()`: keep every socket open but deliver nothing either way, and accept new
 *   connections without connecting them upstream yet: a half-open network, as when a
 *   switch or NAT drops packets. Bytes sent meanwhile are held back, and `pass()` delivers
 *   them in order (as TCP retransmission would once the path is back), connecting the
 *   connections accepted during the black hole. Peers that gave up closed their sockets.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'blackhole';

export interface TcpProxy {
  port: number;
  url(scheme: string): string;
  readonly mode: ProxyMode;
  /** Open client connections. */
  readonly connections: number;
  pass(): void;
  cut(): void;
  blackhole(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | null;
  /** Bytes held back during a black hole, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

export async function startProxy(upstream: { host?: string; port: number }): Promise<TcpProxy> {
  const host = upstream.host ?? '127.0.0.1';
  const pairs = new Set<Pair>();
  let mode: ProxyMode = 'pass';

  const destroy = (p: Pair) => {
    p.client.destroy();
    p.upstream?.destroy();
    pairs.delete(p);
  };
  const connectUpstream = (pair: Pair) => {
    const up = connect({ host, port: upstream.port }, () => flush(pair));
    pair.upstream = up;
    up.on('data', (chunk: Buffer) => {
      if (mode === 'pass' && pair.toClient.length === 0) pair.client.write(chunk);
      else pair.toClient.push(chunk);
    });
    up.on('error', () => destroy(pair));
    up.on('close', () => destroy(pair));
  };
  const flush = (pair: Pair) => {
    if (mode !== 'pass' || !pair.upstream || pair.upstream.connecting) return;
    for (const c of pair.toUpstream.splice(0)) pair.upstream.write(c);
    for (const c of pair.toClient.splice(0)) pair.client.write(c);
  };

  const server: Server = createServer((client) => {
    const pair: Pair = { client, upstream: null, toUpstream: [], toClient: [] };
    pairs.add(pair);
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    client.on('data', (chunk: Buffer) => {
      const up = pair.upstream;
      if (mode === 'pass' && up && !up.connecting && pair.toUpstream.length === 0) up.write(chunk);
      else pair.toUpstream.push(chunk);
    });
    if (mode === 'pass') connectUpstream(pair);
  });
  server.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    get connections() {
      return pairs.size;
    },
    pass: () => {
      mode = 'pass';
      for (const p of [...pairs]) {
        if (p.upstream) flush(p);
        else connectUpstream(p);
      }
    },
    cut: () => {
      for (const p of [...pairs]) destroy(p);
    },
    blackhole: () => {
      mode = 'blackhole';
    },
    close: async () => {
      for (const p of [...pairs]) destroy(p);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
