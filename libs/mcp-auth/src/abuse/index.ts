export * from './rate-limit-options.interface';
export {
  DEFAULT_RATE_LIMITS,
  RATE_LIMITED_ENDPOINTS,
  resolveRateLimits,
  validateRateLimitOptions,
  type ResolvedRateLimits,
} from './rate-limit.config';
export { McpAuthThrottlerGuard, RateLimited } from './mcp-auth-throttler.guard';
export { rateLimitProviders } from './rate-limit.providers';
export { MCP_AUTH_RATE_LIMITS, MCP_AUTH_THROTTLER_STORAGE } from './rate-limit.tokens';
