import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION } from './telemetry-names';

/**
 * The library's meter, from the global provider as it is now. The metrics API has no proxy:
 * instruments made before the host installs its SDK stay no-ops, so callers ask when a module
 * instance is built (the host installs the SDK before creating the application).
 */
export function libraryMeter(): Meter {
  return metrics.getMeter(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
}

/** The library's tracer (the trace API proxies, so this may be asked any time). */
export function libraryTracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
}
