/**
 * Isolation threads for one worker: a pool of `worker_threads` reused across tasks, each
 * running one handler at a time. At the attempt's deadline (timeout, cancel, lost lease,
 * shutdown: `ctx.signal` aborts) the thread gets `graceMs` to return, then is terminated,
 * so the worker's slot frees even when the handler never yields (`while (true) {}`).
 * A thread that crashed or was terminated is dropped; the next task starts a new one.
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { DalstonError, toDalstonError } from '../../../domain/errors.js';
import type { Clock } from '../../../ports/clock.js';
import type { TaskContext } from '../context.js';
import { TaskFailure } from '../task-failure.js';
import { threadSource } from './thread-main.js';
import type { FromThread, ThreadCall, ThreadTask, ToThread, WireError } from './thread-protocol.js';

export interface ThreadPoolOptions {
  /** The handler module, as a URL (`file:` or `data:`) or a bare package specifier. */
  module: string;
  /** Modules imported in each thread before the handler module (e.g. a TypeScript loader). */
  preload: string[];
  /** Time a stopped handler gets to return before its thread is terminated. */
  graceMs: number;
  resourceLimits?: ResourceLimits;
}

type Settle = { resolve(value: unknown): void; reject(error: unknown): void };

class IsolationThread {
  readonly worker: Worker;
  readonly exited: Promise<number>;
  alive = true;
  private current: { ctx: TaskContext; settle: Settle } | null = null;

  constructor(source: string, options: ThreadPoolOptions) {
    this.worker = new Worker(source, {
      eval: true,
      workerData: { module: options.module, preload: options.preload },
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    this.worker.unref();
    this.exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.on('message', (m: FromThread) => this.onMessage(m));
    this.worker.on('error', (e) =>
      this.end(new Error(`isolation thread crashed: ${toDalstonError(e).message}`)),
    );
    void this.exited.then((code) => this.end(new Error(`isolation thread exited (code ${code})`)));
  }

  /** Runs one task; settles with the handler's value or error (or the crash of its thread). */
  run(ctx: TaskContext, task: ThreadTask): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.current = { ctx, settle: { resolve, reject } };
      this.worker.ref();
      this.send({ type: 'run', task });
    });
  }

  send(m: ToThread): void {
    if (this.alive) this.worker.postMessage(m);
  }

  terminate(): Promise<number> {
    this.alive = false;
    void this.worker.terminate().catch(() => undefined);
    return this.exited;
  }

  private onMessage(m: FromThread): void {
    const current = this.current;
    if (!current) return;
    if (m.type === 'log') current.ctx.logger[m.level](m.message, m.fields);
    else if (m.type === 'call') void this.answer(current.ctx, m.id, m);
    else {
      this.current = null;
      this.worker.unref();
      if (m.ok) current.settle.resolve(m.value);
      else current.settle.reject(errorFromThread(m.error));
    }
  }

  private async answer(ctx: TaskContext, id: number, call: ThreadCall): Promise<void> {
    try {
      this.send({ type: 'reply', id, ok: true, value: await perform(ctx, call) });
    } catch (e) {
      this.send({ type: 'reply', id, ok: false, error: wireError(e) });
    }
  }

  private end(error: Error): void {
    this.alive = false;
    const current = this.current;
    this.current = null;
    current?.settle.reject(error);
  }
}

export class ThreadPool {
  private readonly source = threadSource();
  private readonly idle: IsolationThread[] = [];
  private readonly threads = new Set<IsolationThread>();
  private closed = false;

  constructor(
    private readonly options: ThreadPoolOptions,
    private readonly clock: Clock,
  ) {}

  /** Threads alive now (idle or busy). */
  get size(): number {
    return this.threads.size;
  }

  /** The handler the worker runs: each call borrows a thread for the task. */
  readonly handler = async (ctx: TaskContext): Promise<unknown> => {
    if (this.closed) throw new DalstonError('CLOSED', 'the worker is closed');
    const thread = this.take();
    const stop = () => void this.stop(thread, ctx.signal.reason);
    ctx.signal.addEventListener('abort', stop, { once: true });
    try {
      if (ctx.signal.aborted) stop();
      return await thread.run(ctx, taskOf(ctx));
    } finally {
      ctx.signal.removeEventListener('abort', stop);
      if (thread.alive && !ctx.signal.aborted && !this.closed) this.idle.push(thread);
      else await this.drop(thread);
    }
  };

  /** Terminates every thread. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.threads].map((t) => this.drop(t)));
  }

  private take(): IsolationThread {
    for (let t = this.idle.pop(); t; t = this.idle.pop()) if (t.alive) return t;
    const thread = new IsolationThread(this.source, this.options);
    this.threads.add(thread);
    return thread;
  }

  /** The attempt ended: tell the handler, give it `graceMs`, then terminate its thread. */
  private async stop(thread: IsolationThread, reason: unknown): Promise<void> {
    thread.send({ type: 'abort', reason: wireError(reason) });
    if (this.options.graceMs > 0) await this.clock.sleep(this.options.graceMs);
    await thread.terminate();
  }

  private async drop(thread: IsolationThread): Promise<void> {
    await thread.terminate();
    this.threads.delete(thread);
  }
}

const taskOf = (ctx: TaskContext): ThreadTask => ({
  task: ctx.task,
  attempt: ctx.attempt,
  job: ctx.job,
  parents: ctx.parents,
  inputUri: ctx.artifacts.inputUri,
});

/** Carries out a thread's request on the real context. */
async function perform(ctx: TaskContext, call: ThreadCall): Promise<unknown> {
  if (call.method === 'progress') return ctx.progress(call.args[0]);
  if (call.method === 'put') {
    const [name, bytes, options] = call.args;
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return ctx.artifacts.put(name, body, { ...options, contentLength: body.byteLength });
  }
  const [uri, options] = call.args;
  const stream = await ctx.artifacts.get(uri, options.range ? { range: options.range } : {});
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return new Uint8Array(Buffer.concat(chunks));
}

function wireError(e: unknown): WireError {
  const error = toDalstonError(e);
  return { name: error.name, message: error.message, code: error.code };
}

/** A handler's error as the thread described it: a TaskFailure keeps its code and retryability. */
function errorFromThread(w: WireError): Error {
  if (w.name === 'TaskFailure' || typeof w.retryable === 'boolean') {
    return new TaskFailure(w.message, {
      ...(w.code ? { code: w.code } : {}),
      ...(w.retryable !== undefined ? { retryable: w.retryable } : {}),
    });
  }
  return Object.assign(new Error(w.message), { name: w.name });
}
