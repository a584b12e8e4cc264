import { context, metrics, trace, type Attributes } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** One metric as collected: its kind and every data point's attributes and value. */
export interface CollectedMetric {
  name: string;
  unit: string;
  type: DataPointType;
  points: { attributes: Attributes; value: unknown }[];
}

/**
 * An OpenTelemetry SDK as a host would install it, with in-memory exporters: metrics are read
 * on demand (`collect()`), spans kept as they end. `uninstall()` puts the API back to no-ops.
 */
export class InMemoryTelemetry {
  private readonly metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  private readonly reader = new PeriodicExportingMetricReader({
    exporter: this.metricExporter,
    // Only forceFlush() exports, as the test asks.
    exportIntervalMillis: 3_600_000,
  });
  private readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  private readonly spanExporter = new InMemorySpanExporter();
  private readonly tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(this.spanExporter)],
  });
  private readonly contextManager = new AsyncHooksContextManager();

  /** Installs the providers globally; call before the application is built. */
  install(): this {
    metrics.disable();
    trace.disable();
    context.disable();
    this.contextManager.enable();
    context.setGlobalContextManager(this.contextManager);
    metrics.setGlobalMeterProvider(this.meterProvider);
    trace.setGlobalTracerProvider(this.tracerProvider);
    return this;
  }

  async uninstall(): Promise<void> {
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
    metrics.disable();
    trace.disable();
    context.disable();
  }

  /** Every metric of the library's scope, as of now. */
  async collect(scope = 'nestjs-mcp-auth'): Promise<Map<string, CollectedMetric>> {
    this.metricExporter.reset();
    await this.reader.forceFlush();
    const collected = new Map<string, CollectedMetric>();
    for (const resource of this.metricExporter.getMetrics()) {
      for (const scoped of resource.scopeMetrics) {
        if (scoped.scope.name !== scope) continue;
        for (const metric of scoped.metrics)
          collected.set(metric.descriptor.name, toCollected(metric));
      }
    }
    return collected;
  }

  /** The instrumentation scope's name and version of the library's metrics. */
  async scopes(): Promise<{ name: string; version?: string }[]> {
    this.metricExporter.reset();
    await this.reader.forceFlush();
    return this.metricExporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics.map((scoped) => scoped.scope));
  }

  spans(): ReadableSpan[] {
    return this.spanExporter.getFinishedSpans();
  }

  resetSpans(): void {
    this.spanExporter.reset();
  }
}

function toCollected(metric: MetricData): CollectedMetric {
  return {
    name: metric.descriptor.name,
    unit: metric.descriptor.unit,
    type: metric.dataPointType,
    points: (metric.dataPoints as { attributes: Attributes; value: unknown }[]).map((point) => ({
      attributes: point.attributes,
      value: point.value,
    })),
  };
}

/** The sum of a counter's points whose attributes include `match`. */
export function sumOf(metric: CollectedMetric | undefined, match: Attributes = {}): number {
  if (!metric) return 0;
  return metric.points
    .filter((point) =>
      Object.entries(match).every(([key, value]) => point.attributes[key] === value),
    )
    .reduce(
      (total, point) =>
        total + (typeof point.value === 'number' ? point.value : countOf(point.value)),
      0,
    );
}

function countOf(value: unknown): number {
  return typeof value === 'object' && value !== null && 'count' in value
    ? Number((value as { count: number }).count)
    : 0;
}

export { DataPointType };
