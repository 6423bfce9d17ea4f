import type { Request, Response, Router } from 'express';

export type Handler = (req: Request, res: Response) => Promise<void>;

/** GET and POST routes whose async handlers' failures reach the router's error page (Express 4 and 5). */
export interface Routes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
}

export function routes(router: Router): Routes {
  const wrap = (h: Handler) => (req: Request, res: Response, next: (e?: unknown) => void) => {
    h(req, res).catch(next);
  };
  return {
    get: (path, h) => {
      router.get(path, wrap(h));
    },
    post: (path, h) => {
      router.post(path, wrap(h));
    },
  };
}
