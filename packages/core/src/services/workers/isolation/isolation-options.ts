/**
 * `createWorker({ isolation })`: run each handler in a `worker_threads` thread loaded
 * from a module, so a handler that ignores its signal is terminated at its deadline.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { ThreadPoolOptions } from './thread-pool.js';

/** A module the thread imports: an absolute path, a `file:`/`data:` URL (string or URL), or a bare package name. */
export type ModuleRef = string | URL;

export interface ThreadIsolationOptions {
  kind: 'thread';
  /**
   * The handler module. It exports `handlers` (by stage) and/or `handler` (or a default
   * export): see `ThreadTaskHandler`. Built JavaScript runs as is; a TypeScript module
   * needs a loader registered by a `preload` module.
   */
  module: ModuleRef;
  /** Modules imported in each thread first, in order (e.g. one that registers tsx). Default []. */
  preload?: ModuleRef[];
  /**
   * Time a stopped handler gets, after its `ctx.signal` aborts, before its thread is
   * terminated. Default 0 (terminated at the deadline at once).
   */
  graceMs?: number;
  /** Passed to each thread (`worker_threads` resourceLimits), e.g. `{ maxOldGenerationSizeMb: 512 }`. */
  resourceLimits?: {
    maxOldGenerationSizeMb?: number;
    maxYoungGenerationSizeMb?: number;
    codeRangeSizeMb?: number;
    stackSizeMb?: number;
  };
}

const moduleRefSchema = z.union([z.instanceof(URL), z.string().min(1)]).transform((ref, c) => {
  if (ref instanceof URL) return ref.href;
  if (isAbsolute(ref)) return pathToFileURL(ref).href;
  if (ref.startsWith('.')) {
    c.addIssue({
      code: 'custom',
      message: 'a relative path is ambiguous in a thread: give an absolute path or a URL',
    });
    return z.NEVER;
  }
  return ref; // a URL string or a bare package name
});

const megabytes = z.number().positive().max(1_000_000).optional();

export const threadIsolationSchema = z.strictObject({
  kind: z.literal('thread'),
  module: moduleRefSchema,
  preload: z.array(moduleRefSchema).max(20).default([]),
  graceMs: z.int().min(0).max(60_000).default(0),
  resourceLimits: z
    .strictObject({
      maxOldGenerationSizeMb: megabytes,
      maxYoungGenerationSizeMb: megabytes,
      codeRangeSizeMb: megabytes,
      stackSizeMb: megabytes,
    })
    .optional(),
}) satisfies z.ZodType<ThreadPoolOptions & { kind: 'thread' }, ThreadIsolationOptions>;
