/**
 * GET /metrics: the engine's OpenTelemetry metrics (queue depth, task durations, lease
 * losses, dead letters, rate-limit denials, maintenance pass durations; see
 * docs/operations.md) in the Prometheus text format, served by this app itself: the
 * OpenTelemetry Prometheus exporter is a metric reader pulled on each scrape, and starts
 * no server of its own. The engine gets the meter provider in `createDalston({ telemetry })`.
 * Unauthenticated like /healthz: expose it on an internal network only.
 */
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Router } from 'express';

export interface Metrics {
  /** Give this to `createDalston({ telemetry: { meterProvider } })`. */
  meterProvider: MeterProvider;
  /** Serves GET /metrics. */
  router(): Router;
  close(): Promise<void>;
}

export function prometheusMetrics(): Metrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  return {
    meterProvider,
    router: () => {
      const router = Router();
      router.get('/metrics', (req, res) => {
        exporter.getMetricsRequestHandler(req, res);
      });
      return router;
    },
    close: () => meterProvider.shutdown().catch(() => undefined),
  };
}
