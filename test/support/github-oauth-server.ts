import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for GitHub's OAuth web flow and REST user endpoints on a loopback port, shaped as
 * GitHub documents them ("Authorizing OAuth apps", "Refreshing user access tokens",
 * "Troubleshooting OAuth app access token request errors", REST "Users" and "Emails"):
 *
 * - `GET /login/oauth/authorize`: client_id, redirect_uri (optional: the registered callback
 *   URL; else same host and port, a path below it), scope (space-separated), state, PKCE
 *   `code_challenge` with `code_challenge_method=S256`. Redirects with `code` and `state`, or
 *   with `error`, `error_description`, `error_uri` and `state`.
 * - `POST /login/oauth/access_token`: client_id, client_secret, code, redirect_uri,
 *   code_verifier; or grant_type=refresh_token. JSON with `Accept: application/json`, else a
 *   form-encoded body. Errors are HTTP 200 with `error`, `error_description`, `error_uri`.
 *   The granted `scope` is comma-separated, as GitHub answers it.
 * - `GET /user`, `GET /user/emails` (under `apiPath`, like GitHub Enterprise's `/api/v3`):
 *   `Authorization: Bearer <token>` (or `token <token>`); `X-OAuth-Scopes` on each answer.
 *
 * Not documented by GitHub, chosen here: a wrong `code_verifier` is `bad_verification_code`,
 * and a `code_challenge_method` other than S256 is redirected as `invalid_request`.
 */

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility: 'public' | 'private' | null;
}

export interface GitHubUser {
  login: string;
  /** GitHub's stable numeric id (a login can be renamed). */
  id: number;
  name: string | null;
  /** The public profile email: null when the user keeps it private. */
  email: string | null;
  /** What `/user/emails` lists (scope `user:email` or `user`). */
  emails: GitHubEmail[];
}

/**
 * How `/login/oauth/authorize` answers: `auto` approves at once (the user authorized the app
 * before), `form` shows an Authorize/Cancel page, `deny` answers `access_denied`.
 */
export type GitHubApproval = 'auto' | 'form' | 'deny';

export interface GitHubOAuthServerOptions {
  clientId?: string;
  clientSecret?: string;
  /** The app's registered callback URL; unset accepts any `redirect_uri` (set it when known). */
  callbackUrl?: string;
  /** Default: octocat. The first signs in unless `signedInAs` says otherwise. */
  users?: GitHubUser[];
  approval?: GitHubApproval;
  /**
   * A GitHub App with expiring user tokens: `ghu_` tokens with `expires_in`, `refresh_token`
   * and `refresh_token_expires_in`, refreshable with `grant_type=refresh_token`. Default: an
   * OAuth app, whose `gho_` tokens do not expire.
   */
  expiringTokens?: boolean;
  /** Where the REST API lives under the origin: '' (default, like api.github.com) or '/api/v3'. */
  apiPath?: string;
}

export interface RecordedGitHubRequest {
  method: string;
  /** The path, without the query. */
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** The parsed form (or JSON) body. */
  body: Record<string, string>;
}

export interface GitHubOAuthServer {
  /** The web origin (`webUrl` of the library's GitHub preset), e.g. `http://127.0.0.1:1234`. */
  readonly webUrl: string;
  /** The REST API's base URL (`apiUrl` of the preset). */
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  callbackUrl: string | undefined;
  approval: GitHubApproval;
  expiringTokens: boolean;
  /** The login of the user who approves. */
  signedInAs: string;
  readonly users: GitHubUser[];
  /** Every request received, oldest first. */
  readonly requests: RecordedGitHubRequest[];
  requestsTo(path: string): RecordedGitHubRequest[];
  /** Makes every access token issued so far expire (refresh tokens stay valid). */
  expireAccessTokens(): void;
  /** The user revokes the app: every access and refresh token stops working. */
  revokeAll(): void;
  close(): Promise<void>;
}

export const OCTOCAT: GitHubUser = {
  login: 'octocat',
  id: 583231,
  name: 'The Octocat',
  email: null,
  emails: [
    { email: 'octocat@github.com', primary: true, verified: true, visibility: 'private' },
    { email: 'octocat@example.com', primary: false, verified: false, visibility: null },
  ],
};

const DOCS = 'https://docs.github.com';
const TOKEN_ERRORS = `/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors`;
const AUTHORIZE_ERRORS = `${DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors`;
const CODE_TTL_MS = 10 * 60_000;
const ACCESS_TOKEN_TTL_S = 28_800;
const REFRESH_TOKEN_TTL_S = 15_897_600;

interface PendingCode {
  clientId: string;
  /** The `redirect_uri` sent to authorize, if any: the token request must then repeat it. */
  redirectUri: string | undefined;
  scopes: string[];
  login: string;
  codeChallenge: string | undefined;
  expiresAt: number;
}

interface IssuedToken {
  login: string;
  scopes: string[];
  expiresAt: number | undefined;
}

type TokenAnswer = Record<string, string | number>;

export async function startGitHubOAuthServer(
  options: GitHubOAuthServerOptions = {},
): Promise<GitHubOAuthServer> {
  const fake = new FakeGitHub(options);
  await fake.listen();
  return fake;
}

class FakeGitHub implements GitHubOAuthServer {
  readonly clientId: string;
  readonly clientSecret: string;
  callbackUrl: string | undefined;
  approval: GitHubApproval;
  expiringTokens: boolean;
  signedInAs: string;
  readonly users: GitHubUser[];
  readonly requests: RecordedGitHubRequest[] = [];
  webUrl = '';
  apiUrl = '';
  private readonly apiPath: string;
  private readonly server: Server;
  private readonly codes = new Map<string, PendingCode>();
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, IssuedToken>();

  constructor(options: GitHubOAuthServerOptions) {
    this.clientId = options.clientId ?? `Iv1.${randomBytes(8).toString('hex')}`;
    this.clientSecret = options.clientSecret ?? randomBytes(20).toString('hex');
    this.callbackUrl = options.callbackUrl;
    this.approval = options.approval ?? 'auto';
    this.expiringTokens = options.expiringTokens ?? false;
    this.users = options.users ?? [OCTOCAT];
    this.signedInAs = this.users[0].login;
    this.apiPath = (options.apiPath ?? '').replace(/\/+$/, '');
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.webUrl = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.webUrl}${this.apiPath}`;
  }

  requestsTo(path: string): RecordedGitHubRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  expireAccessTokens(): void {
    for (const token of this.accessTokens.values()) token.expiresAt = Date.now() - 1;
  }

  revokeAll(): void {
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.codes.clear();
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.webUrl);
    const request: RecordedGitHubRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: await readBody(req),
    };
    this.requests.push(request);
    const route = `${request.method} ${request.path}`;
    switch (route) {
      case 'GET /login/oauth/authorize':
        return this.authorize(res, request.query);
      case 'POST /login/oauth/authorize':
        // The `form` page's buttons.
        return this.authorize(res, request.body, request.body.authorize === '1');
      case 'POST /login/oauth/access_token':
        return this.token(res, request);
      case `GET ${this.apiPath}/user`:
        return this.api(res, request, (user) => userDocument(user, this.apiUrl));
      case `GET ${this.apiPath}/user/emails`:
        return this.api(res, request, (user) => user.emails, ['user', 'user:email']);
      default:
        return sendJson(res, 404, { message: 'Not Found', documentation_url: `${DOCS}/rest` });
    }
  }

  /** The authorization request; `decision` is the `form` page's answer, when there was one. */
  private authorize(res: ServerResponse, params: Record<string, string>, decision?: boolean): void {
    if (params.client_id !== this.clientId) {
      // GitHub shows its 404 page for an unknown application.
      return sendHtml(res, '<!doctype html><title>Page not found</title><h1>404</h1>', 404);
    }
    const registered = this.callbackUrl ?? params.redirect_uri;
    if (!registered) {
      return sendHtml(res, '<!doctype html><p>The application has no callback URL.</p>', 400);
    }
    const redirectUri = params.redirect_uri ?? registered;
    const state = params.state;
    const refuse = (to: string, error: string, description: string, anchor?: string) =>
      redirect(res, to, {
        error,
        error_description: description,
        error_uri: anchor && `${AUTHORIZE_ERRORS}/#${anchor}`,
        state,
      });
    if (!redirectUriAllowed(redirectUri, registered)) {
      // To the registered callback URL, never to the one asked for.
      return refuse(
        registered,
        'redirect_uri_mismatch',
        'The redirect_uri MUST match the registered callback URL for this application.',
        'redirect-uri-mismatch',
      );
    }
    if (params.code_challenge && (params.code_challenge_method ?? 'S256') !== 'S256') {
      return refuse(redirectUri, 'invalid_request', 'code_challenge_method must be S256.');
    }
    if (this.approval === 'form' && decision === undefined) {
      return sendHtml(res, authorizePage(params, this.signedInAs));
    }
    if (this.approval === 'deny' || decision === false) {
      return refuse(
        redirectUri,
        'access_denied',
        'The user has denied your application access.',
        'access-denied',
      );
    }
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, {
      clientId: this.clientId,
      redirectUri: params.redirect_uri,
      scopes: [...new Set((params.scope ?? '').split(/[\s,]+/).filter(Boolean))],
      login: this.signedInAs,
      codeChallenge: params.code_challenge,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    return redirect(res, redirectUri, { code, state });
  }

  private token(res: ServerResponse, request: RecordedGitHubRequest): void {
    const params = { ...request.query, ...request.body };
    const answer = (body: TokenAnswer) => sendTokenAnswer(res, request.headers.accept, body);
    const error = (code: string, description: string, anchor = code.replace(/_/g, '-')) =>
      answer({
        error: code,
        error_description: description,
        error_uri: `${TOKEN_ERRORS}/#${anchor}`,
      });

    if (params.client_id !== this.clientId || params.client_secret !== this.clientSecret) {
      return error(
        'incorrect_client_credentials',
        'The client_id and/or client_secret passed are incorrect.',
      );
    }
    const grantType = params.grant_type ?? 'authorization_code';
    if (grantType === 'refresh_token') {
      const issued = this.refreshTokens.get(params.refresh_token ?? '');
      if (!issued || (issued.expiresAt ?? Infinity) < Date.now()) {
        return error('bad_refresh_token', 'The refresh token passed is incorrect or expired.');
      }
      // Refresh tokens are single-use: the answer carries the next one.
      this.refreshTokens.delete(params.refresh_token);
      return answer(this.issue(issued.login, issued.scopes));
    }
    if (grantType !== 'authorization_code') {
      return error('unsupported_grant_type', `The grant type ${grantType} is not supported.`);
    }
    const pending = this.codes.get(params.code ?? '');
    // A code is good for one attempt, right or wrong.
    if (pending) this.codes.delete(params.code);
    const badCode = () =>
      error('bad_verification_code', 'The code passed is incorrect or expired.');
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== params.client_id) {
      return badCode();
    }
    if (pending.redirectUri !== undefined && params.redirect_uri !== pending.redirectUri) {
      return error(
        'redirect_uri_mismatch',
        'The redirect_uri MUST match the registered callback URL for this application.',
        'redirect-uri-mismatch2',
      );
    }
    if (pending.codeChallenge !== undefined) {
      const verifier = params.code_verifier ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (challenge !== pending.codeChallenge) return badCode();
    }
    return answer(this.issue(pending.login, pending.scopes));
  }

  private issue(login: string, scopes: string[]): TokenAnswer {
    if (!this.expiringTokens) {
      const accessToken = `gho_${base62(36)}`;
      this.accessTokens.set(accessToken, { login, scopes, expiresAt: undefined });
      return { access_token: accessToken, token_type: 'bearer', scope: scopes.join(',') };
    }
    // GitHub Apps act by permissions, not scopes: their token answers carry an empty scope.
    const accessToken = `ghu_${base62(36)}`;
    const refreshToken = `ghr_${base62(76)}`;
    const now = Date.now();
    this.accessTokens.set(accessToken, {
      login,
      scopes: [],
      expiresAt: now + ACCESS_TOKEN_TTL_S * 1000,
    });
    this.refreshTokens.set(refreshToken, {
      login,
      scopes,
      expiresAt: now + REFRESH_TOKEN_TTL_S * 1000,
    });
    return {
      access_token: accessToken,
      expires_in: ACCESS_TOKEN_TTL_S,
      refresh_token: refreshToken,
      refresh_token_expires_in: REFRESH_TOKEN_TTL_S,
      scope: '',
      token_type: 'bearer',
    };
  }

  /** A REST call for the token's user; `needs`: the OAuth scopes (one of) it requires. */
  private api(
    res: ServerResponse,
    request: RecordedGitHubRequest,
    body: (user: GitHubUser) => unknown,
    needs?: string[],
  ): void {
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (!token || !/^(bearer|token)$/i.test(scheme)) {
      return sendJson(res, 401, {
        message: 'Requires authentication',
        documentation_url: `${DOCS}/rest`,
        status: '401',
      });
    }
    const issued = this.accessTokens.get(token);
    const user = this.users.find((candidate) => candidate.login === issued?.login);
    if (!issued || !user || (issued.expiresAt ?? Infinity) < Date.now()) {
      return sendJson(res, 401, {
        message: 'Bad credentials',
        documentation_url: `${DOCS}/rest`,
        status: '401',
      });
    }
    const headers = { 'X-OAuth-Scopes': issued.scopes.join(', '), 'X-Accepted-OAuth-Scopes': '' };
    const isOAuthApp = token.startsWith('gho_');
    if (isOAuthApp && needs && !needs.some((scope) => issued.scopes.includes(scope))) {
      // GitHub answers 404, not 403, for what the token may not see.
      return sendJson(
        res,
        404,
        { message: 'Not Found', documentation_url: `${DOCS}/rest`, status: '404' },
        headers,
      );
    }
    return sendJson(res, 200, body(user), headers);
  }
}

/** GitHub's rule: same host and port as the callback URL, and a path at or below its path. */
function redirectUriAllowed(candidate: string, registered: string): boolean {
  let asked: URL;
  let callback: URL;
  try {
    asked = new URL(candidate);
    callback = new URL(registered);
  } catch {
    return false;
  }
  const base = callback.pathname.replace(/\/?$/, '/');
  return (
    asked.protocol === callback.protocol &&
    asked.host === callback.host &&
    (asked.pathname === callback.pathname || asked.pathname.startsWith(base))
  );
}

function userDocument(user: GitHubUser, apiUrl: string): Record<string, unknown> {
  return {
    login: user.login,
    id: user.id,
    node_id: Buffer.from(`04:User${user.id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: '',
    url: `${apiUrl}/users/${user.login}`,
    html_url: `https://github.com/${user.login}`,
    type: 'User',
    site_admin: false,
    name: user.name,
    company: null,
    blog: '',
    location: null,
    email: user.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 8,
    public_gists: 8,
    followers: 20,
    following: 0,
    created_at: '2011-01-25T18:44:36Z',
    updated_at: '2024-01-22T12:34:56Z',
  };
}

function authorizePage(params: Record<string, string>, login: string): string {
  const escape = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  const hidden = Object.entries(params)
    .filter(([name]) => name !== 'authorize')
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('');
  return `<!doctype html><html><head><title>Authorize application</title></head><body>
<h1>Authorize application</h1><p>Signed in as <strong>${escape(login)}</strong>.</p>
<form method="post" action="/login/oauth/authorize">${hidden}
<button type="submit" name="authorize" value="1">Authorize</button>
<button type="submit" name="authorize" value="0">Cancel</button>
</form></body></html>`;
}

function sendTokenAnswer(res: ServerResponse, accept: string | undefined, body: TokenAnswer): void {
  // Errors too answer 200, as GitHub does.
  if (accept?.includes('application/json')) return sendJson(res, 200, body);
  const form = new URLSearchParams(
    Object.entries(body).map(([key, value]): [string, string] => [key, String(value)]),
  );
  res.writeHead(200, { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' });
  res.end(form.toString());
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, html: string, status = 200): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

function redirect(
  res: ServerResponse,
  to: string,
  params: Record<string, string | undefined>,
): void {
  const target = new URL(to);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) target.searchParams.set(name, value);
  }
  res.writeHead(302, { Location: target.href });
  res.end();
}

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString('utf8');
  if (!text) return {};
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
  }
  return Object.fromEntries(new URLSearchParams(text));
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function base62(length: number): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}
