/**
 * OpenTelemetry SDK pieces for tests: an in-memory tracer provider, a span exporter that
 * appends each finished span as one JSON line to a file (so a child process can hand its
 * spans to the test), and a metric reader collected on demand, with its data points
 * flattened for assertions.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

/** A finished span, as plain JSON (the same shape from the test process and a child). */
export interface ExportedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  status: { code: number; message?: string };
  attributes: Record<string, unknown>;
  startMs: number;
  endMs: number;
  pid: number;
}

const hrMs = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;

export function toExported(span: ReadableSpan): ExportedSpan {
  const c = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    traceId: c.traceId,
    spanId: c.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    status: { ...span.status },
    attributes: { ...span.attributes },
    startMs: hrMs(span.startTime),
    endMs: hrMs(span.endTime),
    pid: process.pid,
  };
}

/** A tracer provider whose finished spans collect in memory. */
export function memoryTracing(): { provider: BasicTracerProvider; spans: () => ExportedSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { provider, spans: () => exporter.getFinishedSpans().map(toExported) };
}

type ExportCallback = Parameters<SpanExporter['export']>[1];

/** Appends each finished span to `file` as a JSON line (synchronously: nothing is lost at exit). */
class FileSpanExporter implements SpanExporter {
  constructor(private readonly file: string) {}
  export(spans: ReadableSpan[], done: ExportCallback): void {
    for (const s of spans) appendFileSync(this.file, `${JSON.stringify(toExported(s))}\n`);
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** A tracer provider writing finished spans to `file`. */
export function fileTracing(file: string): BasicTracerProvider {
  return new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new FileSpanExporter(file))] });
}

/** The spans written by `fileTracing(file)` so far. */
export function readSpanFile(file: string): ExportedSpan[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ExportedSpan);
}

class OnDemandReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export interface MetricPoint {
  name: string;
  attributes: Record<string, unknown>;
  /** The value of a sum or gauge point; the count of a histogram point. */
  value: number;
  /** Histogram points: the sum of the recorded values. */
  sum?: number;
}

/** A meter provider read on demand: `collect()` returns every data point, flattened. */
export function memoryMetrics(): { provider: MeterProvider; collect: () => Promise<MetricPoint[]> } {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((s) =>
      s.metrics.flatMap((m) =>
        (m.dataPoints as DataPoint<number | Histogram>[]).map((p): MetricPoint => {
          const v = p.value;
          return typeof v === 'number'
            ? { name: m.descriptor.name, attributes: { ...p.attributes }, value: v }
            : { name: m.descriptor.name, attributes: { ...p.attributes }, value: v.count, sum: v.sum };
        }),
      ),
    );
  };
  return { provider, collect };
}
