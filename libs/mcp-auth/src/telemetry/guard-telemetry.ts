import {
  type Attributes,
  type ObservableCallback,
  type ObservableCounter,
  type Span,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { libraryMeter, libraryTracer } from './instrumentation';
import { ATTRIBUTES, METRICS, SPANS } from './telemetry-names';
import type { ResolvedTelemetryOptions } from './telemetry-options';

/** What the guard answered: `ok`, the refusal's status, or `error` (a bug: 500). */
export type GuardOutcome = 'ok' | '400' | '401' | '403' | '503' | 'error';

const OUTCOMES: readonly GuardOutcome[] = ['ok', '400', '401', '403', '503', 'error'];

/**
 * The guard's counter, kept off its hot path: a request adds one to a plain number, and the
 * SDK reads the totals when it collects (an observable counter, one frozen attribute set per
 * outcome). A synchronous counter would hash its attributes on every request once an SDK is
 * installed. Spans only with `guardSpans`.
 */
export class GuardTelemetry {
  private readonly counts: Record<GuardOutcome, number> = {
    ok: 0,
    '400': 0,
    '401': 0,
    '403': 0,
    '503': 0,
    error: 0,
  };
  private readonly attributes: Readonly<Record<GuardOutcome, Attributes>>;
  private readonly tracer: Tracer | undefined;
  private stopObserving: (() => void) | undefined;

  constructor(options: ResolvedTelemetryOptions) {
    const attributes = {} as Record<GuardOutcome, Attributes>;
    for (const outcome of OUTCOMES) {
      attributes[outcome] = Object.freeze({ [ATTRIBUTES.outcome]: outcome });
    }
    this.attributes = Object.freeze(attributes);
    if (!options.enabled) return;
    const counter: ObservableCounter = libraryMeter().createObservableCounter(
      METRICS.guardOutcomes,
      { description: 'Requests decided by BearerGuard, by outcome', unit: '{request}' },
    );
    const observe: ObservableCallback = (result) => {
      for (const outcome of OUTCOMES) {
        const count = this.counts[outcome];
        if (count > 0) result.observe(count, this.attributes[outcome]);
      }
    };
    counter.addCallback(observe);
    this.stopObserving = () => counter.removeCallback(observe);
    if (options.guardSpans) this.tracer = libraryTracer();
  }

  /** A span for one guarded request when `guardSpans` is on. */
  startSpan(): Span | undefined {
    return this.tracer?.startSpan(SPANS.guard);
  }

  record(outcome: GuardOutcome, span?: Span): void {
    this.counts[outcome] += 1;
    if (span) {
      span.setAttributes(this.attributes[outcome]);
      if (outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  }

  /** Stops reporting: a closed application's guard reports nothing. */
  stop(): void {
    this.stopObserving?.();
    this.stopObserving = undefined;
  }

  /** The outcome of a refusal: its HTTP status when it has one of ours, else `error`. */
  static outcomeOf(error: unknown): GuardOutcome {
    const status = (error as { getStatus?: () => unknown } | null)?.getStatus?.();
    switch (status) {
      case 400:
        return '400';
      case 401:
        return '401';
      case 403:
        return '403';
      case 503:
        return '503';
      default:
        return 'error';
    }
  }
}
