/**
 * Server-Sent Events: `id:` lines (the event id, so a reconnecting EventSource sends
 * `Last-Event-ID` and the stream resumes after it), `event:` the type, `data:` one JSON
 * line, and a comment every `heartbeatMs` so proxies keep the connection open.
 */
import type { Request, Response } from 'express';

export interface SseStream {
  /** Aborts when the client disconnects. */
  readonly signal: AbortSignal;
  send(event: string, data: unknown, id?: number): void;
  end(): void;
}

export function openSse(req: Request, res: Response, heartbeatMs: number): SseStream {
  const aborted = new AbortController();
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);
  res.write('retry: 1000\n\n');
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  const stop = () => {
    clearInterval(heartbeat);
    aborted.abort();
  };
  res.on('close', stop);
  return {
    signal: aborted.signal,
    send(event, data, id) {
      if (aborted.signal.aborted) return;
      res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      stop();
      res.end();
    },
  };
}

/** The resume cursor: `Last-Event-ID`, else `?after=`, else 0; undefined when malformed. */
export function resumeCursor(req: Request): number | undefined {
  const q = req.query.after;
  const raw = req.get('last-event-id') ?? (typeof q === 'string' ? q : '0');
  return /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}
