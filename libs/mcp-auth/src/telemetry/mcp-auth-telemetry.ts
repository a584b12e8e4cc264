import {
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  type Histogram,
  type Meter,
  type ObservableGauge,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { OAuthError } from '../oauth/oauth-error';
import { libraryMeter, libraryTracer } from './instrumentation';
import { traceStore } from './store-tracing';
import { ATTRIBUTES, METRICS, SPANS } from './telemetry-names';
import { TELEMETRY_DISABLED, type ResolvedTelemetryOptions } from './telemetry-options';

/** Filled in by the token endpoint as it learns them; read when the request ends. */
export interface TokenRequestFacts {
  /** A supported grant type, `unsupported`, or `unknown` before `grant_type` was read. */
  grantType: string;
  /** The authenticated client, for the span only. */
  clientId?: string;
}

/** What the deny-list shows the gauges. */
export interface DenyListState {
  readonly size: number;
  readonly isListening: boolean;
}

/** `fetched`, or why a metadata document was refused (a bounded set of reasons). */
export type ClientMetadataDocumentFetchOutcome = string;

interface Instruments {
  meter: Meter;
  tracer: Tracer;
  tokenRequests: Counter;
  tokenDuration: Histogram;
  denyListLag: Histogram;
  denyListSize: ObservableGauge;
  listenerConnected: ObservableGauge;
  cleanupRows: Counter;
  cleanupDuration: Histogram;
  cleanupFailures: Counter;
  documentFetches: Counter;
}

/**
 * The authorization server's metrics and spans, one per module instance (see
 * telemetry-names.ts for what is reported). Instruments are made once, when the instance is
 * built; attribute sets are cached, so recording allocates little. Disabled, every method is
 * a no-op and stores are not wrapped.
 */
export class McpAuthTelemetry {
  static readonly disabled = new McpAuthTelemetry(TELEMETRY_DISABLED);

  private readonly instruments: Instruments | undefined;
  private readonly attributeCache = new Map<string, Attributes>();
  private readonly observers: (() => void)[] = [];

  constructor(private readonly options: ResolvedTelemetryOptions) {
    if (!options.enabled) return;
    const meter = libraryMeter();
    this.instruments = {
      meter,
      tracer: libraryTracer(),
      tokenRequests: meter.createCounter(METRICS.tokenRequests, {
        description: 'Token endpoint requests, by grant type and outcome',
        unit: '{request}',
      }),
      tokenDuration: meter.createHistogram(METRICS.tokenDuration, {
        description: 'Time to answer a token endpoint request',
        unit: 's',
      }),
      denyListLag: meter.createHistogram(METRICS.denyListLag, {
        description: 'Time from a revocation to its arrival in the deny-list of this process',
        unit: 's',
      }),
      denyListSize: meter.createObservableGauge(METRICS.denyListSize, {
        description: 'Revoked grants and access tokens held by the deny-list',
        unit: '{entry}',
      }),
      listenerConnected: meter.createObservableGauge(METRICS.revocationListenerConnected, {
        description: '1 while revocations arrive by LISTEN/NOTIFY, 0 while only polling',
        unit: '1',
      }),
      cleanupRows: meter.createCounter(METRICS.cleanupRowsDeleted, {
        description: 'Expired rows deleted by the clean-up, by table',
        unit: '{row}',
      }),
      cleanupDuration: meter.createHistogram(METRICS.cleanupDuration, {
        description: 'Time of one clean-up run',
        unit: 's',
      }),
      cleanupFailures: meter.createCounter(METRICS.cleanupFailures, {
        description: 'Clean-up runs that failed',
        unit: '{run}',
      }),
      documentFetches: meter.createCounter(METRICS.clientMetadataDocumentFetches, {
        description: 'Client ID Metadata Document fetches, by outcome',
        unit: '{fetch}',
      }),
    };
  }

  get enabled(): boolean {
    return this.instruments !== undefined;
  }

  /**
   * Runs one token request inside the span `mcp_auth.token` (active, so store spans nest in
   * it) and counts and times it by grant type and outcome. Never sees a token: only the facts
   * the endpoint fills in.
   */
  async tokenRequest<T>(run: (facts: TokenRequestFacts) => Promise<T>): Promise<T> {
    const instruments = this.instruments;
    const facts: TokenRequestFacts = { grantType: 'unknown' };
    if (!instruments) return run(facts);
    const started = performance.now();
    return instruments.tracer.startActiveSpan(SPANS.token, async (span) => {
      let outcome = 'issued';
      try {
        return await run(facts);
      } catch (error) {
        outcome = error instanceof OAuthError ? error.error : 'server_error';
        throw error;
      } finally {
        const attributes = this.cached(`token ${facts.grantType} ${outcome}`, () => ({
          [ATTRIBUTES.grantType]: facts.grantType,
          [ATTRIBUTES.outcome]: outcome,
        }));
        instruments.tokenRequests.add(1, attributes);
        instruments.tokenDuration.record((performance.now() - started) / 1000, attributes);
        span.setAttributes(attributes);
        if (facts.clientId !== undefined) span.setAttribute(ATTRIBUTES.clientId, facts.clientId);
        if (outcome === 'server_error') span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    });
  }

  /** A revocation arrived in the deny-list `lagSeconds` after it was made. */
  denyListArrival(lagSeconds: number): void {
    this.instruments?.denyListLag.record(Math.max(0, lagSeconds));
  }

  /** Reports the deny-list's size and listener state until `onModuleDestroy`. */
  observeDenyList(state: DenyListState): void {
    const instruments = this.instruments;
    if (!instruments) return;
    const callback: BatchObservableCallback = (result) => {
      result.observe(instruments.denyListSize, state.size);
      result.observe(instruments.listenerConnected, state.isListening ? 1 : 0);
    };
    const observables = [instruments.denyListSize, instruments.listenerConnected];
    instruments.meter.addBatchObservableCallback(callback, observables);
    this.observers.push(() =>
      instruments.meter.removeBatchObservableCallback(callback, observables),
    );
  }

  /** One clean-up run: rows deleted per table and how long it took. */
  cleanupFinished(rowsByTable: Readonly<Record<string, number>>, seconds: number): void {
    const instruments = this.instruments;
    if (!instruments) return;
    for (const [table, rows] of Object.entries(rowsByTable)) {
      instruments.cleanupRows.add(
        rows,
        this.cached(`table ${table}`, () => ({ [ATTRIBUTES.dbCollection]: table })),
      );
    }
    instruments.cleanupDuration.record(seconds);
  }

  cleanupFailed(seconds: number): void {
    this.instruments?.cleanupFailures.add(1);
    this.instruments?.cleanupDuration.record(seconds);
  }

  clientMetadataDocumentFetched(outcome: ClientMetadataDocumentFetchOutcome): void {
    this.instruments?.documentFetches.add(
      1,
      this.cached(`document ${outcome}`, () => ({ [ATTRIBUTES.outcome]: outcome })),
    );
  }

  /** `store` with a span around each of its methods' calls, when store spans are on. */
  traceStore<T extends object>(storeName: string, store: T): T {
    const instruments = this.instruments;
    if (!instruments || !this.options.storeSpans) return store;
    return traceStore(instruments.tracer, storeName, store);
  }

  /** Stops the gauges' callbacks: a closed application reports nothing. */
  onModuleDestroy(): void {
    for (const remove of this.observers.splice(0)) remove();
  }

  /** Attribute sets are frozen and reused; keys come from bounded sets only. */
  private cached(key: string, build: () => Attributes): Attributes {
    let attributes = this.attributeCache.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze(build());
      if (this.attributeCache.size < 1000) this.attributeCache.set(key, attributes);
    }
    return attributes;
  }
}
