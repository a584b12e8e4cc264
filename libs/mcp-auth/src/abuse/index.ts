export * from './rate-limit-options.interface';
export {
  DEFAULT_RATE_LIMITS,
  RATE_LIMITED_ENDPOINTS,
  resolveRateLimits,
  validateRateLimitOptions,
  type ResolvedRateLimits,
} from './rate-limit.config';
export { McpAuthThrottlerGuard } from './mcp-auth-throttler.guard';
export {
  MCP_AUTH_RATE_LIMITS,
  MCP_AUTH_THROTTLER_STORAGE,
  rateLimitProviders,
} from './rate-limit.providers';
