/**
 * The adapter's Lua scripts. Each lives in `src/lua/<name>.lua` (shipped as `dist/lua/` in
 * the package) and is resolved relative to this module at runtime, so it works from source
 * under vitest and from the ESM and CJS builds. Scripts run with EVALSHA; when Redis
 * answers NOSCRIPT (a restart or SCRIPT FLUSH emptied its cache) the call is repeated once
 * with EVAL, which loads the script again. The host's client is never modified
 * (no `defineCommand`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

const luaDir = new URL('./lua/', import.meta.url);

const readLua = (name: string): string => readFileSync(new URL(`${name}.lua`, luaDir), 'utf8');

export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Loads `lua/<name>.lua`, with the named prelude files (shared local functions) before it. */
  static load(name: string, preludes: string[] = []): LuaScript {
    const parts = [...preludes.map(readLua), readLua(name)];
    return new LuaScript(name, parts.join('\n'));
  }

  /** Runs the script: EVALSHA, then EVAL once if the server lost it (NOSCRIPT). */
  async run(client: RedisClient, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.includes('NOSCRIPT')) throw e;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

const QUEUE = ['queue-common'];
const TIME = ['common-time'];
const SLOT = ['common-time', 'slot-common'];

/** Every script, loaded once per process. */
export const scripts = {
  enqueue: LuaScript.load('queue-enqueue', QUEUE),
  lease: LuaScript.load('queue-lease', QUEUE),
  extend: LuaScript.load('queue-extend', QUEUE),
  ack: LuaScript.load('queue-ack', QUEUE),
  ackLease: LuaScript.load('queue-ack-lease', QUEUE),
  release: LuaScript.load('queue-release', QUEUE),
  remove: LuaScript.load('queue-remove', QUEUE),
  reject: LuaScript.load('queue-reject', QUEUE),
  stats: LuaScript.load('queue-stats', QUEUE),
  deadLetters: LuaScript.load('queue-dead-letters', QUEUE),
  deadPage: LuaScript.load('queue-dead-page', QUEUE),
  removeDead: LuaScript.load('queue-remove-dead', QUEUE),
  deadUnprocessed: LuaScript.load('queue-dead-unprocessed', QUEUE),
  deadProcessed: LuaScript.load('queue-dead-processed', QUEUE),
  epoch: LuaScript.load('queue-epoch'),
  sessionCreate: LuaScript.load('session-create', TIME),
  sessionPatch: LuaScript.load('session-patch', TIME),
  sessionTouch: LuaScript.load('session-touch', TIME),
  sessionIndexAdd: LuaScript.load('session-index-add', TIME),
  sessionIndexRemove: LuaScript.load('session-index-remove', TIME),
  sessionIndexList: LuaScript.load('session-index-list', TIME),
  rateFixed: LuaScript.load('rate-fixed', TIME),
  rateSliding: LuaScript.load('rate-sliding', TIME),
  rateGcra: LuaScript.load('rate-gcra', TIME),
  slotAcquire: LuaScript.load('slot-acquire', SLOT),
  slotRelease: LuaScript.load('slot-release', SLOT),
  slotRefresh: LuaScript.load('slot-refresh', SLOT),
  slotHolders: LuaScript.load('slot-holders', TIME),
  slotReconcile: LuaScript.load('slot-reconcile', SLOT),
} as const;
