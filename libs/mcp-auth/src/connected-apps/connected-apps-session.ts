import {
  type CryptoKey,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTHeaderParameters,
} from 'jose';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { appendHeader, type HttpRequest, type HttpResponse } from '../http/http-exchange';
import type { SigningKeyService } from '../tokens/signing-key.service';
import type { ConnectedAppsUser } from './connected-apps-options';

/**
 * JWT `typ` of the page's session cookie: never an access token (the verifier wants
 * `at+jwt`), and an access token is never a session.
 */
const SESSION_TYPE = 'mcp-auth-apps+jwt';
const MAX_COOKIE_LENGTH = 4096;

/**
 * The page's own sign-in (built-in modes), kept in a short cookie scoped to the page's path:
 * a JWT signed with the issuer's signing key. Every instance can check it with the keys it
 * already shares through the database, so no extra secret has to be configured.
 */
export class ConnectedAppsSessions {
  constructor(
    private readonly keys: SigningKeyService,
    private readonly settings: {
      issuer: string;
      /** The page's full path: the cookie's Path and, with the issuer, the JWT audience. */
      path: string;
      ttl: number;
      secure: boolean;
    },
  ) {}

  get cookieName(): string {
    // `__Host-` needs Path=/, so the cookie would leak to every path; `__Secure-` still pins
    // it to https.
    return this.settings.secure ? '__Secure-mcp_auth_apps' : 'mcp_auth_apps';
  }

  private get audience(): string {
    return `${this.settings.issuer}${this.settings.path}`;
  }

  async start(response: HttpResponse, user: ConnectedAppsUser): Promise<void> {
    await this.keys.refreshIfStale();
    const { kid, alg, key } = this.keys.getSigningKey();
    const claims = user.displayName ? { name: user.displayName } : {};
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg, kid, typ: SESSION_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.audience)
      .setSubject(user.subject)
      .setIssuedAt()
      .setExpirationTime(`${this.settings.ttl}s`)
      .sign(key);
    this.writeCookie(response, jwt, this.settings.ttl);
  }

  end(response: HttpResponse): void {
    this.writeCookie(response, '', 0);
  }

  /** The signed-in user, or null for no, a forged, an expired or a foreign cookie. */
  async read(request: HttpRequest): Promise<ConnectedAppsUser | null> {
    const header = request.headers.cookie;
    if (!header || header.length > 8192) return null;
    const jwt = parseCookies(header)[this.cookieName];
    if (!jwt || jwt.length > MAX_COOKIE_LENGTH) return null;
    try {
      const { payload } = await jwtVerify(jwt, (header: JWTHeaderParameters) => this.key(header), {
        issuer: this.settings.issuer,
        audience: this.audience,
        typ: SESSION_TYPE,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (typeof payload.sub !== 'string' || !payload.sub) return null;
      const name = typeof payload.name === 'string' ? payload.name : undefined;
      return { subject: payload.sub, ...(name ? { displayName: name } : {}) };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
  }

  private async key(header: JWTHeaderParameters): Promise<CryptoKey> {
    if (typeof header.kid !== 'string') throw new joseErrors.JWSInvalid('no kid');
    let key = this.keys.getVerificationKey(header.kid);
    if (!key) {
      // Another instance may have rotated since this one loaded its keys.
      await this.keys.refreshIfStale();
      key = this.keys.getVerificationKey(header.kid);
    }
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  }

  private writeCookie(response: HttpResponse, value: string, maxAge: number): void {
    appendHeader(
      response,
      'Set-Cookie',
      serializeCookie(this.cookieName, value, {
        httpOnly: true,
        secure: this.settings.secure,
        sameSite: 'lax',
        path: this.settings.path,
        maxAge,
      }),
    );
  }
}
