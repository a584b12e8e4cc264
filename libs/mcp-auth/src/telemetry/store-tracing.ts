import { type Attributes, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { ATTRIBUTES, SPANS } from './telemetry-names';

type Method = (...args: unknown[]) => unknown;

/** Nest's lifecycle hooks and promise probing are not store calls. */
const NOT_TRACED = new Set<PropertyKey>([
  'constructor',
  'then',
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
]);

/**
 * A proxy of `store` that runs each method call in a client span
 * `mcp_auth.store.<storeName>.<method>`, with the database conventions' attributes. Applied
 * where the store providers are built, so no store knows about it. The method runs with the
 * store itself as `this` (private fields keep working); wrappers are made once per method.
 * Errors mark the span with their class name only: a driver's message may quote values.
 */
export function traceStore<T extends object>(tracer: Tracer, storeName: string, store: T): T {
  // By function, not name: a method replaced on the prototype is wrapped anew.
  const wrappers = new WeakMap<Method, Method>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (
        typeof value !== 'function' ||
        typeof property !== 'string' ||
        NOT_TRACED.has(property) ||
        property in Object.prototype ||
        // Methods only: a function set on the instance (a test's spy) is handed back as is.
        Object.prototype.hasOwnProperty.call(target, property)
      ) {
        return value;
      }
      let wrapper = wrappers.get(value as Method);
      if (wrapper === undefined) {
        wrapper = traced(tracer, storeName, property, target, value as Method);
        wrappers.set(value as Method, wrapper);
      }
      return wrapper;
    },
  });
}

function traced(
  tracer: Tracer,
  storeName: string,
  method: string,
  target: object,
  fn: Method,
): Method {
  const name = `${SPANS.storePrefix}${storeName}.${method}`;
  const options = {
    kind: SpanKind.CLIENT,
    attributes: Object.freeze<Attributes>({
      [ATTRIBUTES.dbSystem]: 'postgresql',
      [ATTRIBUTES.dbSystemName]: 'postgresql',
      [ATTRIBUTES.dbOperation]: method,
    }),
  };
  return function (this: unknown, ...args: unknown[]): unknown {
    return tracer.startActiveSpan(name, options, (span) => {
      const fail = (error: unknown) => {
        span.setAttribute(
          ATTRIBUTES.errorType,
          error instanceof Error ? error.constructor.name : 'unknown',
        );
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
      let result: unknown;
      try {
        result = fn.apply(target, args);
      } catch (error) {
        fail(error);
        throw error;
      }
      if (result instanceof Promise) {
        return result.then(
          (value: unknown) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            fail(error);
            throw error;
          },
        );
      }
      span.end();
      return result;
    });
  };
}
