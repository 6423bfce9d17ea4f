/**
 * Messages between a worker and its isolation threads. The main thread sends one `run`
 * at a time per thread and answers the thread's `call`s (progress, artifact put/get);
 * the thread sends `log` lines and one `done` per run. Errors cross as plain data.
 */
import type { JsonObject, JsonValue } from '../../../domain/json.js';
import type { Task, TaskStatus } from '../../../domain/task.js';

/** A thrown value, described by the side that caught it. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  retryable?: boolean;
}

/** The serialisable part of a task's context, sent with `run`. */
export interface ThreadTask {
  task: Task;
  attempt: number;
  job: { id: string; tenantId: string; parameters: JsonObject; input: string | null; correlationId: string };
  parents: Record<string, { status: TaskStatus; output: JsonValue | null }>;
  inputUri: string | null;
}

export type ThreadCall =
  | { method: 'progress'; args: [data: JsonObject] }
  | {
      method: 'put';
      args: [
        name: string,
        bytes: Uint8Array,
        options: { contentType?: string; metadata?: Record<string, string> },
      ];
    }
  | { method: 'get'; args: [uri: string, options: { range?: { start: number; end?: number } }] };

export type ToThread =
  | { type: 'run'; task: ThreadTask }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: WireError }
  | { type: 'abort'; reason: WireError };

export type FromThread =
  | ({ type: 'call'; id: number } & ThreadCall)
  | {
      type: 'log';
      level: 'debug' | 'info' | 'warn' | 'error';
      message: string;
      fields: Record<string, unknown>;
    }
  | { type: 'done'; ok: true; value: unknown }
  | { type: 'done'; ok: false; error: WireError };
