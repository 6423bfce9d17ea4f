/**
 * Who may use the console. Either a function of the request (the host's own check), or an
 * admin key: then the console shows a sign-in form, and a correct key sets an HttpOnly,
 * SameSite=Strict cookie holding an HMAC of the key (never the key itself); a request may
 * also send `Authorization: Bearer <key>`. Every POST must come from the console's own
 * origin (the Origin or Referer header), so another site cannot drive it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

export type ConsoleAuth = { adminKey: string } | ((req: Request) => boolean | Promise<boolean>);

export const COOKIE = 'dalston_console';

const digest = (key: string) => createHmac('sha256', key).update('dalston-console-session').digest('hex');

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function cookieValue(auth: { adminKey: string }): string {
  return digest(auth.adminKey);
}

function cookieOf(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export async function isAllowed(auth: ConsoleAuth, req: Request): Promise<boolean> {
  if (typeof auth === 'function') return (await auth(req)) === true;
  const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
  if (bearer !== undefined && same(bearer, auth.adminKey)) return true;
  const cookie = cookieOf(req);
  return cookie !== undefined && same(cookie, digest(auth.adminKey));
}

export function keyMatches(auth: { adminKey: string }, given: unknown): boolean {
  return typeof given === 'string' && same(given, auth.adminKey);
}

/** True when a state-changing request comes from this host (Origin, else Referer). */
export function sameOrigin(req: Request): boolean {
  const from = req.get('origin') ?? req.get('referer');
  if (!from) return false;
  try {
    return new URL(from).host === req.get('host');
  } catch {
    return false;
  }
}
