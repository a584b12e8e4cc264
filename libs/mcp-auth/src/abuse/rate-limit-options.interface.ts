import type { ThrottlerStorage } from '@nestjs/throttler';
import type { HttpRequest } from '../http/http-exchange';

/** One endpoint's budget: at most `limit` requests per `ttl` seconds from one client address. */
export interface RateLimitRule {
  limit: number;
  /** Window in seconds. */
  ttl: number;
}

/** The endpoints that are limited, each with its own counter per client address. */
export type RateLimitedEndpoint =
  'register' | 'authorize' | 'interaction' | 'token' | 'revoke' | 'introspect';

/**
 * `rateLimit` module option. `false` turns every limit off (e.g. behind a gateway that
 * already limits); an endpoint set to `false` is not limited; omitted endpoints keep their
 * defaults ({@link DEFAULT_RATE_LIMITS}).
 * @publicApi
 */
export type RateLimitOptions =
  | false
  | ({ [endpoint in RateLimitedEndpoint]?: RateLimitRule | false } & {
      /**
       * Where counters live.
       *
       * - Default: the module's PostgreSQL (`TypeOrmThrottlerStorage`, table
       *   `mcp_auth_rate_limits`), so N instances on one database together allow `limit`,
       *   not N × `limit`. One statement per limited request.
       * - A `ThrottlerStorage`, e.g. Redis through `@nest-lab/throttler-storage-redis`, for
       *   traffic where a database write per request costs too much. Share it between
       *   instances.
       * - `'memory'`: `@nestjs/throttler`'s in-memory storage, per process. Only for a single
       *   instance: each instance counts alone.
       */
      storage?: ThrottlerStorage | 'memory';
      /**
       * What a counter is keyed on. Default: `request.ip`, IPv6 grouped by /64. Behind a
       * reverse proxy set Express `trust proxy` (`app.set('trust proxy', 1)`), or every
       * client shares the proxy's address and one busy client locks out everyone.
       */
      getTracker?: (request: HttpRequest) => string | Promise<string>;
    });
