import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { McpAuthAudit } from '../audit/audit.service';
import { setPublicCorsHeaders } from '../http/cors-headers';
import { setHeader, type HttpRequest, type HttpResponse } from '../http/http-exchange';
import { McpAuthConfig } from '../mcp-auth.config';
import { OAuthError } from '../oauth/oauth-error';
import type { RateLimitedEndpoint } from './rate-limit-options.interface';
import type { ResolvedRateLimits } from './rate-limit.config';
import { MCP_AUTH_RATE_LIMITS, MCP_AUTH_THROTTLER_STORAGE } from './rate-limit.tokens';

/** Endpoints answered with HTML pages (a browser is on them), not OAuth JSON. */
const PAGE_ENDPOINTS: ReadonlySet<RateLimitedEndpoint> = new Set(['authorize', 'interaction']);

/** Endpoints browser clients call cross-origin (AS-8): their 429 must be readable too. */
const CORS_ENDPOINTS: ReadonlySet<RateLimitedEndpoint> = new Set(['token', 'register', 'revoke']);

const RATE_LIMITED_ENDPOINT = Symbol('McpAuth:RateLimitedEndpoint');

/** Blocks remembered for the audit at most (oldest dropped first). */
const MAX_AUDITED_BLOCKS = 10_000;

/**
 * Names the limited endpoint a controller serves. The guard counts by this name, not by the
 * request path: Express matches `/TOKEN` and `/token/` to the `/token` handler, so a key built
 * from the path's spelling would give every spelling a budget of its own.
 */
export function RateLimited(endpoint: RateLimitedEndpoint): ClassDecorator {
  return (target) => Reflect.defineMetadata(RATE_LIMITED_ENDPOINT, endpoint, target);
}

/**
 * Per-endpoint, per-client-address rate limits of one module instance, on `@nestjs/throttler`.
 * Bound to the module's own controllers (never an application guard: host routes are not
 * limited), each controller naming its endpoint with {@link RateLimited}.
 *
 * Over the limit, OAuth JSON endpoints answer `429` with `Retry-After` and
 * `{"error":"temporarily_unavailable"}`; `/authorize` and the login and consent pages answer
 * a `429` page. RFC 6749 defines no rate-limit error; `temporarily_unavailable` is its
 * registered "retry later" code (RFC 6749 §4.1.2.1) and, unlike `invalid_client` or
 * `invalid_grant`, makes no client discard its registration or tokens: the MCP SDK
 * re-registers on `invalid_client`, which would only feed a registration limit.
 *
 * Counters are keyed on issuer + endpoint + client address, so instances of one issuer that
 * share a `ThrottlerStorage` share their counters too. CORS preflights are not counted.
 * @publicApi
 */
@Injectable()
export class McpAuthThrottlerGuard extends ThrottlerGuard {
  private readonly endpointThrottlers = new Map<RateLimitedEndpoint, ThrottlerOptions>();
  /** Counter keys whose block was audited, with when the block ends. */
  private readonly auditedBlocks = new Map<string, number>();

  constructor(
    @Inject(MCP_AUTH_RATE_LIMITS) private readonly limits: ResolvedRateLimits,
    @Inject(MCP_AUTH_THROTTLER_STORAGE) storage: ThrottlerStorage,
    private readonly config: McpAuthConfig,
    reflector: Reflector,
    private readonly audit: McpAuthAudit,
  ) {
    const throttlers: ThrottlerOptions[] = Object.entries(limits.rules).map(([name, rule]) => ({
      name,
      limit: rule.limit,
      ttl: rule.ttl * 1000,
      blockDuration: rule.ttl * 1000,
      // Retry-After is set by this guard; no X-RateLimit-* headers on every response.
      setHeaders: false,
    }));
    super({ throttlers }, storage, reflector);
    for (const throttler of throttlers) {
      this.endpointThrottlers.set(throttler.name as RateLimitedEndpoint, throttler);
    }
  }

  /** The limited endpoint a handler belongs to, whatever the spelling of the request path. */
  endpointOf(context: ExecutionContext): RateLimitedEndpoint | undefined {
    return Reflect.getMetadata(RATE_LIMITED_ENDPOINT, context.getClass()) as
      RateLimitedEndpoint | undefined;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.limits.enabled || context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    if (request.method === 'OPTIONS') return true;
    const endpoint = this.endpointOf(context);
    const throttler = endpoint && this.endpointThrottlers.get(endpoint);
    if (!throttler) return true;
    const ttl = throttler.ttl as number;
    return this.handleRequest({
      context,
      limit: throttler.limit as number,
      ttl,
      blockDuration: (throttler.blockDuration as number | undefined) ?? ttl,
      throttler,
      getTracker: (req) => this.getTracker(req),
      generateKey: (_context, tracker, name) => this.counterKey(name, tracker),
    });
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return this.limits.getTracker
      ? this.limits.getTracker(request as unknown as HttpRequest)
      : super.getTracker(request);
  }

  private counterKey(endpoint: string, tracker: string): string {
    return createHash('sha256')
      .update(`mcp-auth\0${this.config.issuer}\0${endpoint}\0${tracker}`)
      .digest('hex');
  }

  /**
   * One `rate_limit.exceeded` event per counter and block, not one per refused request: a
   * flood must not turn into as many log lines.
   */
  private auditRefusal(
    endpoint: RateLimitedEndpoint,
    detail: ThrottlerLimitDetail,
    ip: string | undefined,
  ): void {
    const now = Date.now();
    if ((this.auditedBlocks.get(detail.key) ?? 0) > now) return;
    if (this.auditedBlocks.size >= MAX_AUDITED_BLOCKS) {
      for (const [key, until] of this.auditedBlocks) {
        if (until <= now) this.auditedBlocks.delete(key);
      }
      const oldest = this.auditedBlocks.keys().next();
      if (this.auditedBlocks.size >= MAX_AUDITED_BLOCKS && !oldest.done) {
        this.auditedBlocks.delete(oldest.value);
      }
    }
    this.auditedBlocks.set(detail.key, now + Math.max(1, detail.timeToBlockExpire) * 1000);
    this.audit.emit({
      type: 'rate_limit.exceeded',
      endpoint,
      limit: detail.limit,
      window_seconds: detail.ttl / 1000,
      ...this.audit.clientAddress(ip),
    });
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = String(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
    const http = context.switchToHttp();
    const endpoint = this.endpointOf(context);
    if (endpoint) this.auditRefusal(endpoint, detail, http.getRequest<HttpRequest>().ip);
    if (endpoint && PAGE_ENDPOINTS.has(endpoint)) {
      // The page filter bound to these controllers renders it.
      throw new OAuthError(
        'temporarily_unavailable',
        'Wait a moment, then start again from the application.',
        { status: 429, headers: { 'Retry-After': retryAfter } },
      );
    }
    if (endpoint && CORS_ENDPOINTS.has(endpoint)) {
      // The handler, which would set these, never runs; a browser client must still be able
      // to read the error and its Retry-After.
      const response = http.getResponse<HttpResponse>();
      setPublicCorsHeaders(response, ['POST', 'OPTIONS']);
      setHeader(response, 'Access-Control-Expose-Headers', 'Retry-After');
    }
    throw new OAuthError(
      'temporarily_unavailable',
      `Too many requests; retry after ${retryAfter} seconds.`,
      { status: 429, headers: { 'Retry-After': retryAfter } },
    );
  }
}
