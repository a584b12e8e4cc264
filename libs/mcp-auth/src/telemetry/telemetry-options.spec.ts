import { resolveTelemetryOptions } from './telemetry-options';

describe('resolveTelemetryOptions', () => {
  it('is on by default, with store spans and without guard spans', () => {
    expect(resolveTelemetryOptions(undefined)).toEqual({
      enabled: true,
      guardSpans: false,
      storeSpans: true,
    });
  });

  it('turns everything off with enabled: false', () => {
    expect(resolveTelemetryOptions({ enabled: false, guardSpans: true })).toEqual({
      enabled: false,
      guardSpans: false,
      storeSpans: false,
    });
  });

  it('refuses unknown keys and non-boolean flags', () => {
    expect(() => resolveTelemetryOptions({ enabeld: true } as never)).toThrow(
      /telemetry\.enabeld is not an option/,
    );
    expect(() => resolveTelemetryOptions({ guardSpans: 'yes' } as never)).toThrow(
      /guardSpans must be a boolean/,
    );
    expect(() => resolveTelemetryOptions([] as never)).toThrow(/must be an object/);
  });
});
