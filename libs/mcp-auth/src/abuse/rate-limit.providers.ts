import type { Provider } from '@nestjs/common';
import { McpAuthConfig } from '../mcp-auth.config';
import { MCP_AUTH_DATA_SOURCE } from '../mcp-auth.constants';
import { MCP_AUTH_MODULE_OPTIONS } from '../mcp-auth.module-definition';
import type { RateLimitOptions } from './rate-limit-options.interface';
import { createThrottlerStorage } from './rate-limit-storage.factory';
import { resolveRateLimits } from './rate-limit.config';
import { MCP_AUTH_RATE_LIMITS, MCP_AUTH_THROTTLER_STORAGE } from './rate-limit.tokens';

/**
 * Providers of one module instance's rate limits: the resolved options and the counter
 * storage, which {@link McpAuthThrottlerGuard} (bound to the module's controllers) uses.
 *
 * Inside `McpAuthModule` call it without arguments: it reads `rateLimit` from the module
 * options. `source` gives the options directly (tests, or a host that wires limits itself
 * next to an imported module).
 */
export function rateLimitProviders(source?: { rateLimit?: RateLimitOptions }): Provider[] {
  const limits: Provider = source
    ? { provide: MCP_AUTH_RATE_LIMITS, useValue: resolveRateLimits(source.rateLimit) }
    : {
        provide: MCP_AUTH_RATE_LIMITS,
        useFactory: (options: { rateLimit?: RateLimitOptions }) =>
          resolveRateLimits(options.rateLimit),
        inject: [MCP_AUTH_MODULE_OPTIONS],
      };
  return [
    limits,
    {
      provide: MCP_AUTH_THROTTLER_STORAGE,
      // A provider, so Nest stops the in-memory storage's sweep timer at shutdown.
      useFactory: createThrottlerStorage,
      // Optional: absent when a host uses these providers outside McpAuthModule.
      inject: [
        MCP_AUTH_RATE_LIMITS,
        { token: MCP_AUTH_DATA_SOURCE, optional: true },
        { token: McpAuthConfig, optional: true },
      ],
    },
  ];
}
