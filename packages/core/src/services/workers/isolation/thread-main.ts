/**
 * What runs inside an isolation thread. The thread is started from source text
 * (`threadSource()`), so `threadMain` must stay self-contained: at run time it uses only
 * its parameter and globals, never an import or another binding of this file (the type
 * imports below are erased). It loads the preload modules, then the handler module, once
 * per thread, and runs one task at a time, proxying ctx.progress, ctx.artifacts and
 * ctx.logger to the main thread.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FromThread, ThreadTask, ToThread, WireError } from './thread-protocol.js';

export interface ThreadEnv {
  port: MessagePort;
  data: { module: string; preload: string[] };
  load(specifier: string): Promise<Record<string, unknown>>;
  toReadable(bytes: Uint8Array): unknown;
}

type Pending = { resolve(v: unknown): void; reject(e: unknown): void };
type AnyHandler = (ctx: unknown) => unknown;

export function threadMain(env: ThreadEnv): void {
  const pending = new Map<number, Pending>();
  let calls = 0;
  let controller: AbortController | null = null;
  let loaded: Promise<Record<string, unknown>> | null = null;

  const text = (v: unknown, fallback: string): string => {
    try {
      return typeof v === 'string' ? v : String(v);
    } catch {
      return fallback;
    }
  };
  const describe = (e: unknown): WireError => {
    try {
      if (e instanceof Error) {
        const { code, retryable } = e as { code?: unknown; retryable?: unknown };
        return {
          name: text(e.name, 'Error'),
          message: text(e.message, 'an error without a readable message'),
          ...(typeof code === 'string' ? { code } : {}),
          ...(typeof retryable === 'boolean' ? { retryable } : {}),
        };
      }
    } catch {}
    return { name: 'Error', message: text(e, 'a thrown value that cannot be described') };
  };
  const failure = (code: string, message: string): FromThread => ({
    type: 'done',
    ok: false,
    error: { name: 'TaskFailure', code, message, retryable: false },
  });
  const post = (m: FromThread): void => env.port.postMessage(m);
  const call = (method: string, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++calls;
      pending.set(id, { resolve, reject });
      post({ type: 'call', id, method, args } as FromThread);
    });
  const asError = (w: WireError): Error =>
    Object.assign(new Error(w.message), { name: w.name, code: w.code });

  const bytesOf = async (body: unknown): Promise<Uint8Array> => {
    if (typeof body === 'string') return new TextEncoder().encode(body);
    if (body instanceof Uint8Array) return body;
    if (body instanceof ArrayBuffer) return new Uint8Array(body);
    if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      const parts: Uint8Array[] = [];
      for await (const chunk of body as AsyncIterable<unknown>) parts.push(await bytesOf(chunk));
      const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.byteLength;
      }
      return all;
    }
    throw new TypeError('artifacts.put in a thread takes a string, bytes or an async iterable of bytes');
  };
  const loggerOf = (base: Record<string, unknown>): unknown => {
    const line = (level: 'debug' | 'info' | 'warn' | 'error') => (message: unknown, fields?: object) => {
      const m = text(message, 'unreadable log message');
      try {
        post({ type: 'log', level, message: m, fields: { ...base, ...fields } });
      } catch {
        post({ type: 'log', level, message: m, fields: { ...base, fieldsDropped: 'not serialisable' } });
      }
    };
    return {
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      child: (fields: object) => loggerOf({ ...base, ...fields }),
    };
  };
  const contextOf = (t: ThreadTask, signal: AbortSignal) => ({
    task: t.task,
    attempt: t.attempt,
    job: t.job,
    parents: t.parents,
    signal,
    progress: (data: unknown) =>
      call('progress', [data]).then(
        () => undefined,
        () => undefined,
      ),
    artifacts: {
      inputUri: t.inputUri,
      put: async (name: string, body: unknown, options: { contentType?: string; metadata?: object } = {}) =>
        call('put', [
          name,
          await bytesOf(body),
          { contentType: options.contentType, metadata: options.metadata },
        ]),
      get: async (uri: string, options: { range?: object } = {}) =>
        env.toReadable((await call('get', [uri, { range: options.range }])) as Uint8Array),
    },
    logger: loggerOf({}),
  });
  const handlerOf = (ns: Record<string, unknown>, stage: string): AnyHandler | null => {
    const d = ns.default as Record<string, unknown> | AnyHandler | undefined;
    const byStage = (ns.handlers ?? (d && typeof d === 'object' ? d.handlers : undefined)) as
      | Record<string, unknown>
      | undefined;
    const own = byStage && Object.hasOwn(byStage, stage) ? byStage[stage] : undefined;
    const fallback = ns.handler ?? (typeof d === 'function' ? d : d?.handler);
    const found = own ?? fallback;
    return typeof found === 'function' ? (found as AnyHandler) : null;
  };
  const load = (): Promise<Record<string, unknown>> => {
    loaded ??= (async () => {
      for (const p of env.data.preload) await env.load(p);
      return env.load(env.data.module);
    })();
    loaded.catch(() => {
      loaded = null;
    });
    return loaded;
  };
  const run = async (t: ThreadTask): Promise<void> => {
    controller = new AbortController();
    let ns: Record<string, unknown>;
    try {
      ns = await load();
    } catch (e) {
      return post(failure('HANDLER_LOAD_FAILED', `handler module failed to load: ${describe(e).message}`));
    }
    const handler = handlerOf(ns, t.task.stage);
    if (!handler)
      return post(failure('NO_HANDLER', `the handler module exports no handler for stage "${t.task.stage}"`));
    try {
      const value = await handler(contextOf(t, controller.signal));
      try {
        post({ type: 'done', ok: true, value });
      } catch {
        post(
          failure('INVALID_OUTPUT', 'the handler returned a value that cannot leave its thread (not JSON)'),
        );
      }
    } catch (e) {
      post({ type: 'done', ok: false, error: describe(e) });
    }
  };

  env.port.on('message', (m: ToThread) => {
    if (m.type === 'run') void run(m.task);
    else if (m.type === 'abort') controller?.abort(asError(m.reason));
    else {
      const waiting = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) waiting?.resolve(m.value);
      else waiting?.reject(asError(m.error));
    }
  });
}

/** The thread's source: `threadMain` with Node's worker port, dynamic import and streams. */
export function threadSource(): string {
  return [
    `'use strict';`,
    `const wt = require('node:worker_threads');`,
    `const { Readable } = require('node:stream');`,
    `(${threadMain.toString()})({`,
    `  port: wt.parentPort, data: wt.workerData,`,
    `  load: (specifier) => import(specifier),`,
    `  toReadable: (bytes) => Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]),`,
    `});`,
  ].join('\n');
}
