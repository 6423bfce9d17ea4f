/**
 * A Server-Sent Events response: `id:` lines (the event id, so a reconnecting
 * EventSource sends `Last-Event-ID`), `event:` the type, `data:` one JSON line, and a
 * comment line every `heartbeatMs` so proxies keep the connection open.
 */
import type { Request, Response } from 'express';

export interface SseStream {
  /** Aborts when the client disconnects. */
  readonly signal: AbortSignal;
  send(event: string, data: unknown, id?: number): void;
  end(): void;
}

/**
 * Opens the stream. Its signal aborts when the client disconnects, including a disconnect
 * that happened before the stream was opened (`req.gone`, set at the start of the request).
 */
export function openSse(req: Request, res: Response, heartbeatMs: number): SseStream {
  const aborted = new AbortController();
  if (req.gone) {
    if (req.gone.aborted) aborted.abort();
    else req.gone.addEventListener('abort', () => aborted.abort(), { once: true });
  }
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);
  res.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  const stop = () => {
    clearInterval(heartbeat);
    aborted.abort();
  };
  res.on('close', stop);
  if (aborted.signal.aborted) stop();
  return {
    signal: aborted.signal,
    send(event, data, id) {
      if (aborted.signal.aborted) return;
      const idLine = id === undefined ? '' : `id: ${id}\n`;
      res.write(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      stop();
      res.end();
    },
  };
}

/**
 * The resume cursor: the `Last-Event-ID` header (sent by a reconnecting EventSource),
 * else the `after` query parameter, else 0. Undefined when malformed.
 */
export function resumeCursor(req: Request): number | undefined {
  const raw = req.get('last-event-id') ?? (typeof req.query.after === 'string' ? req.query.after : '0');
  if (!/^\d{1,15}$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}
