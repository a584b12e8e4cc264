import { createHmac } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { appendHeader, type HttpRequest, type HttpResponse } from '../../http/http-exchange';
import { constantTimeEqual, hashSecret } from '../../tokens/secret-hash';
import { randomToken } from '../../tokens/random-token';

/** Lifetime of the cookie: longer than any interaction, short enough not to track anyone. */
const COOKIE_MAX_AGE_SECONDS = 24 * 3600;

/**
 * Ties a pending authorization to the browser that started it. The browser holds a random
 * HttpOnly cookie; the request row stores only its hash. Another browser (or a victim lured
 * to someone else's interaction id) cannot continue it (AS-17).
 */
export class BrowserBinding {
  private constructor(
    /** The cookie's value: a 256-bit secret the page's scripts cannot read. */
    private readonly secret: string,
    readonly isNew: boolean,
  ) {}

  static cookieName(secure: boolean): string {
    // `__Host-` pins the cookie to this exact origin, path / and Secure (AS-17).
    return secure ? '__Host-mcp_auth_browser' : 'mcp_auth_browser';
  }

  /** The browser's binding from its cookie, or a new one when it has none (or a bad one). */
  static fromRequest(request: HttpRequest, secure: boolean): BrowserBinding {
    return BrowserBinding.read(request, secure) ?? BrowserBinding.create();
  }

  /** A fresh binding: for a browser without one, and at sign-in, replacing the old one. */
  static create(): BrowserBinding {
    return new BrowserBinding(randomToken(), true);
  }

  /** The browser's existing binding, or undefined. */
  static read(request: HttpRequest, secure: boolean): BrowserBinding | undefined {
    const header = request.headers.cookie;
    if (!header || header.length > 8192) return undefined;
    const value = parseCookies(header)[BrowserBinding.cookieName(secure)];
    return value && /^[A-Za-z0-9_-]{43}$/.test(value)
      ? new BrowserBinding(value, false)
      : undefined;
  }

  get hash(): string {
    return hashSecret(this.secret);
  }

  /** Sets the cookie on the response (only needed when `isNew`). */
  writeCookie(response: HttpResponse, secure: boolean): void {
    appendHeader(
      response,
      'Set-Cookie',
      serializeCookie(BrowserBinding.cookieName(secure), this.secret, {
        httpOnly: true,
        secure,
        sameSite: 'lax',
        path: '/',
        maxAge: COOKIE_MAX_AGE_SECONDS,
      }),
    );
  }

  matches(storedHash: string): boolean {
    return constantTimeEqual(this.hash, storedHash);
  }

  /**
   * The anti-CSRF token of one form: an HMAC keyed with the cookie secret, which a cross-site
   * page can neither read nor compute. Nothing to store, and every instance can check it.
   */
  csrfToken(interactionIdHash: string, form: 'login' | 'consent'): string {
    return createHmac('sha256', this.secret)
      .update(`mcp-auth:csrf:${form}:${interactionIdHash}`)
      .digest('base64url');
  }

  checkCsrf(presented: unknown, interactionIdHash: string, form: 'login' | 'consent'): boolean {
    return (
      typeof presented === 'string' &&
      constantTimeEqual(presented, this.csrfToken(interactionIdHash, form))
    );
  }
}
