/** Turning service answers into pages: a DalstonError becomes an error page with its status. */
import { type DalstonError, isDalstonError } from '@dalston/core';
import type { Request, Response } from 'express';
import { html } from './html.js';
import { layout, NOTICES, type Page } from './layout.js';

const STATUS: Record<string, number> = {
  VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  STORE_UNAVAILABLE: 503,
  TIMEOUT: 503,
};

/** The mount path of the console (`/console`), for links. */
export const baseOf = (req: Request): string => req.baseUrl;

export function page(req: Request, res: Response, p: Omit<Page, 'base'> & { status?: number }): void {
  const done = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
  res
    .status(p.status ?? 200)
    .type('html')
    .send(layout({ ...p, base: baseOf(req), notice: p.notice ?? (done ? { text: done } : null) }));
}

export function errorPage(req: Request, res: Response, e: unknown): void {
  const err: DalstonError | null = isDalstonError(e) ? e : null;
  const status = err ? (STATUS[err.code] ?? 500) : 500;
  res
    .status(status)
    .type('html')
    .send(
      layout({
        base: baseOf(req),
        title: err?.code ?? 'Error',
        notice: { text: err ? `${err.code}: ${err.message}` : 'Something went wrong.', error: true },
        body: html`<p><a href="javascript:history.back()">Back</a></p>`,
      }),
    );
}

interface AsyncResult<T> {
  match<A, B = A>(ok: (value: T) => A, err: (error: DalstonError) => B): Promise<A | B>;
}

/** The value of a service answer, or its error thrown (the router renders it). */
export function unwrap<T>(result: AsyncResult<T>): Promise<T> {
  return result.match(
    (v) => v,
    (e): never => {
      throw e;
    },
  );
}

/** A redirect after a POST, with a notice code (Post/Redirect/Get). */
export function redirect(req: Request, res: Response, path: string, done?: string): void {
  const sep = path.includes('?') ? '&' : '?';
  res.redirect(303, `${baseOf(req)}${path}${done ? `${sep}done=${done}` : ''}`);
}

/** A query parameter as one string (the first of repeats), or undefined. */
export const param = (req: Request, name: string): string | undefined => {
  const v = req.query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s !== '' ? s : undefined;
};

/** A form field as a string, or undefined. */
export const field = (req: Request, name: string): string | undefined => {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};
