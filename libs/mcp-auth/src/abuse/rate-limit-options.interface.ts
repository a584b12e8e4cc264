import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';

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
       * Where counters live. Default: `@nestjs/throttler`'s in-memory storage, one per
       * application instance. Give every instance the same shared storage (e.g. a Redis
       * `ThrottlerStorage`) so that N instances together allow `limit`, not N × `limit`.
       */
      storage?: ThrottlerStorage;
      /**
       * What a counter is keyed on. Default: `request.ip`, IPv6 grouped by /64. Behind a
       * reverse proxy set Express `trust proxy` (`app.set('trust proxy', 1)`), or every
       * client shares the proxy's address and one busy client locks out everyone.
       */
      getTracker?: (request: Request) => string | Promise<string>;
    });
