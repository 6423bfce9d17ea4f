/**
 * The W3C `traceparent` of a span (`00-<trace id>-<span id>-<flags>`), the form in which
 * a job carries its submit span's context to every worker (the `jobs.trace_context` column,
 * `Job.traceContext`), and the remote parent context read back from it. Implemented here
 * (the API package has no propagator) so that core depends on `@opentelemetry/api` only.
 */
import { type Context, ROOT_CONTEXT, type SpanContext, trace } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE = '0'.repeat(32);
const INVALID_SPAN = '0'.repeat(16);

/** The traceparent of `span`'s context, or null when it is not valid (no SDK: a no-op span). */
export function traceparentOf(span: { spanContext(): SpanContext }): string | null {
  const c = span.spanContext();
  if (c.traceId === INVALID_TRACE || c.spanId === INVALID_SPAN || !trace.isSpanContextValid(c)) return null;
  const flags = (c.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${c.traceId}-${c.spanId}-${flags}`;
}

/** A context whose (remote) parent is `traceparent`; the root context when null or malformed. */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!m || m[1] === INVALID_TRACE || m[2] === INVALID_SPAN) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: Number.parseInt(m[3]!, 16),
    isRemote: true,
  });
}
