/** The resolved `rateLimit` option of one module instance. */
export const MCP_AUTH_RATE_LIMITS = Symbol('McpAuth:RateLimits');

/** The counters' storage of one module instance (the option's, or the default). */
export const MCP_AUTH_THROTTLER_STORAGE = Symbol('McpAuth:ThrottlerStorage');
