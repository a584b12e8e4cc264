import {
  DEFAULT_RATE_LIMITS,
  resolveRateLimits,
  validateRateLimitOptions,
} from './rate-limit.config';

describe('rate-limit options', () => {
  it('documents its defaults', () => {
    expect(DEFAULT_RATE_LIMITS).toEqual({
      register: { limit: 30, ttl: 60 },
      authorize: { limit: 120, ttl: 60 },
      interaction: { limit: 60, ttl: 60 },
      token: { limit: 300, ttl: 60 },
      revoke: { limit: 120, ttl: 60 },
      introspect: { limit: 1200, ttl: 60 },
    });
    expect(resolveRateLimits(undefined).rules).toEqual(DEFAULT_RATE_LIMITS);
    expect(resolveRateLimits({ token: false }).rules.token).toBeUndefined();
    expect(resolveRateLimits(false).enabled).toBe(false);
  });

  it('refuses bad rules with messages naming them', () => {
    expect(
      validateRateLimitOptions({
        register: { limit: 0, ttl: 60 },
        token: { limit: 5, ttl: -1 },
        storage: {} as never,
      }),
    ).toEqual([
      'rateLimit.register must be false or { limit: positive integer, ttl: positive seconds }',
      'rateLimit.token must be false or { limit: positive integer, ttl: positive seconds }',
      'rateLimit.storage must implement ThrottlerStorage (increment)',
    ]);
    expect(() => resolveRateLimits({ authorize: { limit: 1.5, ttl: 1 } })).toThrow(
      /rateLimit\.authorize/,
    );
  });
});
