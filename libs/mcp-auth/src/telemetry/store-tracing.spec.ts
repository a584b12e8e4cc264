import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { traceStore } from './store-tracing';

class ExampleStore {
  #secret = 'kept private';
  calls = 0;

  async find(id: string): Promise<string> {
    this.calls += 1;
    return `${id}:${this.#secret}`;
  }

  async fail(): Promise<never> {
    throw new TypeError('duplicate key value (client_id)=(leaky)');
  }

  now(): number {
    return 42;
  }

  onModuleDestroy(): void {}
}

describe('traceStore', () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  }).getTracer('test');
  beforeEach(() => exporter.reset());

  it('runs each call in a client span named after the store and method, on the store itself', async () => {
    const store = new ExampleStore();
    const traced = traceStore(tracer, 'ExampleStore', store);
    await expect(traced.find('a')).resolves.toBe('a:kept private');
    expect(traced.now()).toBe(42);
    expect(store.calls).toBe(1);
    expect(traced).toBeInstanceOf(ExampleStore);
    expect(traced.find).toBe(traced.find);

    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual([
      'mcp_auth.store.ExampleStore.find',
      'mcp_auth.store.ExampleStore.now',
    ]);
    expect(spans[0].kind).toBe(SpanKind.CLIENT);
    expect(spans[0].attributes).toEqual({
      'db.system': 'postgresql',
      'db.system.name': 'postgresql',
      'db.operation.name': 'find',
    });
  });

  it('marks a failed call with the error class only, never its message', async () => {
    const traced = traceStore(tracer, 'ExampleStore', new ExampleStore());
    await expect(traced.fail()).rejects.toThrow(TypeError);
    const [span] = exporter.getFinishedSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.status.message).toBeUndefined();
    expect(span.attributes['error.type']).toBe('TypeError');
    expect(JSON.stringify(span.attributes)).not.toContain('leaky');
    expect(span.events).toEqual([]);
  });

  it('leaves lifecycle hooks and promise probing alone, and hands back a spy set on the instance', async () => {
    const store = new ExampleStore();
    const traced = traceStore(tracer, 'ExampleStore', store);
    traced.onModuleDestroy();
    expect((traced as unknown as { then?: unknown }).then).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);

    const spy = jest.spyOn(traced, 'now').mockReturnValue(7);
    expect(traced.now()).toBe(7);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
