/**
 * What runs inside an isolation thread. The thread is started from source text
 * (`threadSource()`), built from the functions below with `Function.prototype.toString`,
 * so each of them must stay self-contained: at run time it uses only its parameters,
 * its own name and globals, never an import or another binding of this file (the type
 * imports are erased). The thread loads the preload modules, then the handler module,
 * once, and runs one task at a time, proxying ctx.progress, ctx.artifacts and ctx.logger
 * to the main thread.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FromThread, ThreadTask, ToThread, WireError } from './thread-protocol.js';

export interface ThreadEnv {
  port: MessagePort;
  data: { module: string; preload: string[] };
  load(specifier: string): Promise<Record<string, unknown>>;
  toReadable(bytes: Uint8Array): unknown;
}

type AnyHandler = (ctx: unknown) => unknown;
type Post = (m: FromThread) => void;
type Call = (method: string, args: unknown[]) => Promise<unknown>;

/** Turning thrown values into data and back, without ever throwing. */
export function threadErrors() {
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
  const asError = (w: WireError): Error =>
    Object.assign(new Error(w.message), { name: w.name, code: w.code });
  const failure = (code: string, message: string): FromThread => ({
    type: 'done',
    ok: false,
    error: { name: 'TaskFailure', code, message, retryable: false },
  });
  return { text, describe, asError, failure };
}

/** An artifact body as one byte buffer: a string, bytes, or an async iterable of either. */
export async function threadBytes(body: unknown): Promise<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const parts: Uint8Array[] = [];
    for await (const chunk of body as AsyncIterable<unknown>) parts.push(await threadBytes(chunk));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.byteLength;
    }
    return all;
  }
  throw new TypeError('artifacts.put in a thread takes a string, bytes or an async iterable of bytes');
}

/** A Logger whose lines go to the main thread (fields that cannot be cloned are dropped). */
export function threadLogger(post: Post, text: (v: unknown, f: string) => string, base: object): unknown {
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
    child: (fields: object) => threadLogger(post, text, { ...base, ...fields }),
  };
}

/** The handler's `ThreadTaskContext`: the task's data plus calls answered by the main thread. */
export function threadContext(
  t: ThreadTask,
  signal: AbortSignal,
  io: {
    call: Call;
    bytesOf(body: unknown): Promise<Uint8Array>;
    logger: unknown;
    toReadable(b: Uint8Array): unknown;
  },
) {
  return {
    task: t.task,
    attempt: t.attempt,
    job: t.job,
    parents: t.parents,
    signal,
    progress: (data: unknown) =>
      io.call('progress', [data]).then(
        () => undefined,
        () => undefined,
      ),
    artifacts: {
      inputUri: t.inputUri,
      put: async (name: string, body: unknown, options: { contentType?: string; metadata?: object } = {}) =>
        io.call('put', [
          name,
          await io.bytesOf(body),
          { contentType: options.contentType, metadata: options.metadata },
        ]),
      get: async (uri: string, options: { range?: object } = {}) =>
        io.toReadable((await io.call('get', [uri, { range: options.range }])) as Uint8Array),
    },
    logger: io.logger,
  };
}

/** The module's handler for a stage: `handlers[stage]`, else `handler`, else the default export. */
export function threadHandlerOf(ns: Record<string, unknown>, stage: string): AnyHandler | null {
  const d = ns.default as Record<string, unknown> | AnyHandler | undefined;
  const byStage = (ns.handlers ?? (d && typeof d === 'object' ? d.handlers : undefined)) as
    | Record<string, unknown>
    | undefined;
  const own = byStage && Object.hasOwn(byStage, stage) ? byStage[stage] : undefined;
  const found = own ?? ns.handler ?? (typeof d === 'function' ? d : d?.handler);
  return typeof found === 'function' ? (found as AnyHandler) : null;
}

/** Runs one task: load the module, pick the stage's handler, call it, post `done`. */
export async function threadRunTask(
  t: ThreadTask,
  signal: AbortSignal,
  io: {
    load(): Promise<Record<string, unknown>>;
    post: Post;
    call: Call;
    toReadable(b: Uint8Array): unknown;
  },
  parts: ThreadParts,
): Promise<void> {
  const { errors } = parts;
  let ns: Record<string, unknown>;
  try {
    ns = await io.load();
  } catch (e) {
    return io.post(
      errors.failure('HANDLER_LOAD_FAILED', `handler module failed to load: ${errors.describe(e).message}`),
    );
  }
  const handler = parts.handlerOf(ns, t.task.stage);
  if (!handler)
    return io.post(
      errors.failure('NO_HANDLER', `the handler module exports no handler for "${t.task.stage}"`),
    );
  const logger = parts.loggerOf(io.post, errors.text, {});
  const deps = { call: io.call, bytesOf: parts.bytesOf, logger, toReadable: io.toReadable };
  let value: unknown;
  try {
    value = await handler(parts.contextOf(t, signal, deps));
  } catch (e) {
    return io.post({ type: 'done', ok: false, error: errors.describe(e) });
  }
  try {
    io.post({ type: 'done', ok: true, value });
  } catch {
    io.post(
      errors.failure(
        'INVALID_OUTPUT',
        'the handler returned a value that cannot leave its thread (not JSON)',
      ),
    );
  }
}

export interface ThreadParts {
  errors: ReturnType<typeof threadErrors>;
  bytesOf: typeof threadBytes;
  loggerOf: typeof threadLogger;
  contextOf: typeof threadContext;
  handlerOf: typeof threadHandlerOf;
  runTask: typeof threadRunTask;
}

/** The thread's message loop: `run` a task, answer `reply`s to its calls, `abort` its signal. */
export function threadMain(env: ThreadEnv, parts: ThreadParts): void {
  const { errors } = parts;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let calls = 0;
  let controller: AbortController | null = null;
  let loaded: Promise<Record<string, unknown>> | null = null;
  const post: Post = (m) => env.port.postMessage(m);
  const call: Call = (method, args) =>
    new Promise((resolve, reject) => {
      const id = ++calls;
      pending.set(id, { resolve, reject });
      post({ type: 'call', id, method, args } as FromThread);
    });
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
  const run = (t: ThreadTask): Promise<void> => {
    controller = new AbortController();
    return parts.runTask(t, controller.signal, { load, post, call, toReadable: env.toReadable }, parts);
  };
  env.port.on('message', (m: ToThread) => {
    if (m.type === 'run') void run(m.task);
    else if (m.type === 'abort') controller?.abort(errors.asError(m.reason));
    else {
      const waiting = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) waiting?.resolve(m.value);
      else waiting?.reject(errors.asError(m.error));
    }
  });
}

/** The thread's source: the functions above, wired to Node's worker port, dynamic import and streams. */
export function threadSource(): string {
  return [
    `'use strict';`,
    `const wt = require('node:worker_threads');`,
    `const { Readable } = require('node:stream');`,
    `const parts = {`,
    `  errors: (${threadErrors.toString()})(),`,
    `  bytesOf: ${threadBytes.toString()},`,
    `  loggerOf: ${threadLogger.toString()},`,
    `  contextOf: ${threadContext.toString()},`,
    `  handlerOf: ${threadHandlerOf.toString()},`,
    `  runTask: ${threadRunTask.toString()},`,
    `};`,
    `(${threadMain.toString()})({`,
    `  port: wt.parentPort, data: wt.workerData,`,
    `  load: (specifier) => import(specifier),`,
    `  toReadable: (bytes) => Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]),`,
    `}, parts);`,
  ].join('\n');
}
