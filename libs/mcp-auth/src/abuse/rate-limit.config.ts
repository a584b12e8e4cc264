import type { ThrottlerStorage } from '@nestjs/throttler';
import type { HttpRequest } from '../http/http-exchange';
import type {
  RateLimitedEndpoint,
  RateLimitOptions,
  RateLimitRule,
} from './rate-limit-options.interface';

/**
 * Defaults, per client address. Generous on purpose: one MCP connect is one registration,
 * one authorize, a login and a consent post, and a couple of token calls, and a whole office
 * may share one address. A 5-per-hour registration cap famously locked Cursor out mid-connect
 * (peers.md §3b); these stop floods and credential stuffing, not ordinary use.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitedEndpoint, RateLimitRule>> = {
  // Strictest: every registration is a stored row, and real clients register once per connect.
  register: { limit: 30, ttl: 60 },
  authorize: { limit: 120, ttl: 60 },
  // Login and consent posts: also bounds password guessing from one address.
  interaction: { limit: 60, ttl: 60 },
  token: { limit: 300, ttl: 60 },
  revoke: { limit: 120, ttl: 60 },
  // Resource servers introspect per request when they cannot verify JWTs locally.
  introspect: { limit: 1200, ttl: 60 },
};

export const RATE_LIMITED_ENDPOINTS = Object.keys(DEFAULT_RATE_LIMITS) as RateLimitedEndpoint[];

/** `rateLimit` after defaults: the rules in force, or disabled. */
export interface ResolvedRateLimits {
  enabled: boolean;
  rules: Partial<Record<RateLimitedEndpoint, RateLimitRule>>;
  /** The option's storage; undefined for the default (the module's database). */
  storage: ThrottlerStorage | 'memory' | undefined;
  getTracker: ((request: HttpRequest) => string | Promise<string>) | undefined;
}

/** Problems with a `rateLimit` option, worded like the module's other option errors. */
export function validateRateLimitOptions(options: RateLimitOptions | undefined): string[] {
  if (options === undefined || options === false) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return ['rateLimit must be false or an object of per-endpoint { limit, ttl } rules'];
  }
  const problems: string[] = [];
  for (const endpoint of RATE_LIMITED_ENDPOINTS) {
    const rule = options[endpoint];
    if (rule === undefined || rule === false) continue;
    if (
      typeof rule !== 'object' ||
      rule === null ||
      !Number.isInteger(rule.limit) ||
      rule.limit < 1 ||
      typeof rule.ttl !== 'number' ||
      !Number.isFinite(rule.ttl) ||
      rule.ttl <= 0
    ) {
      problems.push(
        `rateLimit.${endpoint} must be false or { limit: positive integer, ttl: positive seconds }`,
      );
    }
  }
  if (
    options.storage !== undefined &&
    options.storage !== 'memory' &&
    typeof options.storage?.increment !== 'function'
  ) {
    problems.push('rateLimit.storage must implement ThrottlerStorage (increment)');
  }
  if (options.getTracker !== undefined && typeof options.getTracker !== 'function') {
    problems.push('rateLimit.getTracker must be a function');
  }
  return problems;
}

/** Applies the defaults. @throws Error naming every problem, like McpAuthConfig does. */
export function resolveRateLimits(options: RateLimitOptions | undefined): ResolvedRateLimits {
  const problems = validateRateLimitOptions(options);
  if (problems.length) {
    throw new Error(`Invalid McpAuthModule options:\n  - ${problems.join('\n  - ')}`);
  }
  if (options === false) {
    return { enabled: false, rules: {}, storage: undefined, getTracker: undefined };
  }
  const rules: Partial<Record<RateLimitedEndpoint, RateLimitRule>> = {};
  for (const endpoint of RATE_LIMITED_ENDPOINTS) {
    const rule = options?.[endpoint];
    if (rule === false) continue;
    rules[endpoint] = { ...(rule ?? DEFAULT_RATE_LIMITS[endpoint]) };
  }
  return {
    enabled: Object.keys(rules).length > 0,
    rules,
    storage: options?.storage,
    getTracker: options?.getTracker,
  };
}
