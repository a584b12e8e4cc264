import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A small OpenID Connect provider on a loopback port whose answers a test can falsify one at a
 * time: discovery, a JWKS, an authorization endpoint that redirects straight back (the user
 * is "already signed in"), and a token endpoint that issues an ID token with crafted claims,
 * signature or algorithm, or never answers. Left alone it is honest: every answer passes every
 * check a relying party makes, so a refusal of a falsified answer is that one check at work.
 *
 * - `GET /.well-known/openid-configuration`, `GET /jwks`
 * - `GET /authorize`: client_id, redirect_uri, state, nonce, PKCE S256. Redirects with `code`,
 *   `state` and `iss` (RFC 9207, advertised by `authorization_response_iss_parameter_supported`),
 *   changed by `behaviour.authorizationResponse`.
 * - `POST /token`: `client_secret_basic`, the code once, its redirect_uri and PKCE verifier.
 *   Answers `access_token`, `refresh_token`, `id_token` (changed by `behaviour.idToken`), or
 *   holds the request open (`behaviour.tokenEndpoint: 'hang'`).
 */

export interface IdTokenCraft {
  /** Claims to set on the ID token; `undefined` removes one. */
  claims?: Record<string, unknown>;
  /**
   * `published`: the key of the JWKS. `rogue`: a key never published, under the published
   * key's `kid` (a forged signature). `none`: an unsecured JWT (`alg: none`).
   */
  signWith?: 'published' | 'rogue' | 'none';
  /** Leave the ID token out of the token response altogether. */
  omit?: boolean;
}

export interface HostileBehaviour {
  /** Authorization response parameters to set; `undefined` removes one (e.g. `code`). */
  authorizationResponse?: Record<string, string | undefined>;
  idToken?: IdTokenCraft;
  /** `hang`: the token endpoint reads the request and never answers. */
  tokenEndpoint?: 'answer' | 'hang';
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Record<string, string>;
}

export interface HostileOidcProviderOptions {
  clientId?: string;
  clientSecret?: string;
  /** The subject of the user who is "signed in". Default `upstream-user-1`. */
  subject?: string;
  /** Whether the metadata advertises RFC 9207 (and the responses carry `iss`). Default true. */
  issParameterSupported?: boolean;
}

export interface HostileOidcProvider {
  /** `http://127.0.0.1:<port>`: issuer, and base of every endpoint. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subject: string;
  /** How the next answers are falsified; reset with {@link reset}. */
  behaviour: HostileBehaviour;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  requestsTo(path: string): RecordedRequest[];
  /** Every secret it handed out (codes, access, refresh and ID tokens), for secret scans. */
  readonly issued: string[];
  /** Back to honest answers. */
  reset(): void;
  close(): Promise<void>;
}

interface PendingCode {
  redirectUri: string;
  nonce: string | undefined;
  codeChallenge: string | undefined;
}

export async function startHostileOidcProvider(
  options: HostileOidcProviderOptions = {},
): Promise<HostileOidcProvider> {
  const provider = new Hostile(options, await keys(), await keys());
  await provider.listen();
  return provider;
}

async function keys(): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, jwk: await exportJWK(publicKey) };
}

class Hostile implements HostileOidcProvider {
  issuer = '';
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subject: string;
  behaviour: HostileBehaviour = {};
  readonly requests: RecordedRequest[] = [];
  readonly issued: string[] = [];
  private readonly issParameterSupported: boolean;
  private readonly server: Server;
  private readonly codes = new Map<string, PendingCode>();
  private readonly kid = randomBytes(8).toString('hex');

  constructor(
    options: HostileOidcProviderOptions,
    private readonly published: { privateKey: CryptoKey; jwk: JWK },
    private readonly rogue: { privateKey: CryptoKey; jwk: JWK },
  ) {
    this.clientId = options.clientId ?? 'hostile-rp';
    this.clientSecret =
      options.clientSecret ?? `upstream-secret-${randomBytes(16).toString('hex')}`;
    this.subject = options.subject ?? 'upstream-user-1';
    this.issParameterSupported = options.issParameterSupported ?? true;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  reset(): void {
    this.behaviour = {};
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: Object.fromEntries(new URLSearchParams(await readBody(req))),
    };
    this.requests.push(request);
    switch (`${request.method} ${request.path}`) {
      case 'GET /.well-known/openid-configuration':
        return json(res, 200, this.metadata());
      case 'GET /jwks':
        return json(res, 200, { keys: [{ ...this.published.jwk, kid: this.kid, use: 'sig' }] });
      case 'GET /authorize':
        return this.authorize(res, request.query);
      case 'POST /token':
        return this.token(res, request);
      default:
        return json(res, 404, { error: 'not_found' });
    }
  }

  private metadata(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      authorization_response_iss_parameter_supported: this.issParameterSupported,
    };
  }

  private authorize(res: ServerResponse, query: Record<string, string>): void {
    if (query.client_id !== this.clientId || !query.redirect_uri) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('unknown client or no redirect_uri');
      return;
    }
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      redirectUri: query.redirect_uri,
      nonce: query.nonce,
      codeChallenge: query.code_challenge_method === 'S256' ? query.code_challenge : undefined,
    });
    this.issued.push(code);
    const target = new URL(query.redirect_uri);
    const params: Record<string, string | undefined> = {
      code,
      state: query.state,
      ...(this.issParameterSupported ? { iss: this.issuer } : {}),
      ...(this.behaviour.authorizationResponse ?? {}),
    };
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) target.searchParams.set(name, value);
    }
    res.writeHead(302, { location: target.href });
    res.end();
  }

  private async token(res: ServerResponse, request: RecordedRequest): Promise<void> {
    if (this.behaviour.tokenEndpoint === 'hang') return; // the socket stays open, unanswered
    const [scheme, credentials] = (request.headers.authorization ?? '').split(' ');
    const [id, secret] = Buffer.from(credentials ?? '', 'base64')
      .toString('utf8')
      .split(':')
      .map((part) => decodeURIComponent(part));
    if (scheme !== 'Basic' || id !== this.clientId || secret !== this.clientSecret) {
      return json(res, 401, { error: 'invalid_client' });
    }
    const body = request.body;
    if (body.grant_type === 'refresh_token') {
      return json(res, 200, this.tokens(undefined));
    }
    const pending = this.codes.get(body.code ?? '');
    this.codes.delete(body.code ?? '');
    const challenge = createHash('sha256')
      .update(body.code_verifier ?? '')
      .digest('base64url');
    if (
      body.grant_type !== 'authorization_code' ||
      !pending ||
      pending.redirectUri !== body.redirect_uri ||
      (pending.codeChallenge !== undefined && pending.codeChallenge !== challenge)
    ) {
      return json(res, 400, { error: 'invalid_grant' });
    }
    const answer = this.tokens(await this.idToken(pending.nonce));
    return json(res, 200, answer);
  }

  private tokens(idToken: string | undefined): Record<string, unknown> {
    const accessToken = `upstream-at-${randomBytes(24).toString('base64url')}`;
    const refreshToken = `upstream-rt-${randomBytes(24).toString('base64url')}`;
    this.issued.push(accessToken, refreshToken);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: refreshToken,
      scope: 'openid profile email',
      ...(idToken ? { id_token: idToken } : {}),
    };
  }

  private async idToken(nonce: string | undefined): Promise<string | undefined> {
    const craft = this.behaviour.idToken ?? {};
    if (craft.omit) return undefined;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      sub: this.subject,
      aud: this.clientId,
      iat: now,
      exp: now + 300,
      auth_time: now,
      ...(nonce !== undefined ? { nonce } : {}),
      name: 'Uma Upstream',
      email: 'uma@upstream.example',
      email_verified: true,
    };
    for (const [name, value] of Object.entries(craft.claims ?? {})) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    let token: string;
    if (craft.signWith === 'none') {
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
    } else {
      const key = craft.signWith === 'rogue' ? this.rogue : this.published;
      token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
        .sign(key.privateKey);
    }
    this.issued.push(token);
    return token;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString('utf8');
  return text;
}
