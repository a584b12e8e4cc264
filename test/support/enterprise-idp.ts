import {
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign as signBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, SignJWT, type JWK } from 'jose';

/**
 * A small enterprise identity provider on a loopback port, the IdP of MCP Enterprise-Managed
 * Authorization (ext-auth; draft-ietf-oauth-identity-assertion-authz-grant): users sign in to
 * a client there, and the client trades the user's ID token for an Identity Assertion JWT
 * Authorization Grant (ID-JAG) by RFC 8693 token exchange, under the administrator's policy.
 * Left alone it is honest: every ID-JAG it issues passes every check of the grant. Tests that
 * need a hostile ID-JAG mint one directly ({@link EnterpriseIdp.mintIdJag}).
 *
 * - `GET /.well-known/openid-configuration` (also served as `/.well-known/oauth-authorization-server`):
 *   issuer, jwks_uri, token_endpoint.
 * - `GET /jwks`: the published signing keys ({@link EnterpriseIdp.rotateKey} changes them).
 * - `POST /token`, the client authenticated by `client_secret_basic` (or `client_secret_post`,
 *   which the MCP SDK's token-exchange helper sends):
 *   - `grant_type=password` (username, password): signs the user in to that client; answers an
 *     ID token whose `aud` is the client.
 *   - `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` with
 *     `requested_token_type=urn:ietf:params:oauth:token-type:id-jag`, `audience`, `resource`,
 *     `scope`, `subject_token` (an ID token of this IdP issued to the requesting client) and
 *     `subject_token_type=urn:ietf:params:oauth:token-type:id_token`; answers the ID-JAG.
 *     Policy: a rule for (client, audience) must exist (else `invalid_target`), list the resource
 *     and, when it names groups, a group of the user (else `invalid_grant`); the scopes granted
 *     are those asked for that the rule allows (`invalid_scope` when none is left).
 */

export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
export const ID_TOKEN_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ID_JAG_TYP = 'oauth-id-jag+jwt';
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export type IdpSigningAlgorithm = 'RS256' | 'ES256';

export interface EnterpriseIdpUser {
  username: string;
  password: string;
  /** `sub` of the user's ID tokens and ID-JAGs: opaque, stable. */
  subject: string;
  email?: string;
  groups?: string[];
  /** More claims for the user's ID tokens and ID-JAGs (a tenant, ...). */
  claims?: Record<string, unknown>;
}

export interface EnterpriseIdpClient {
  /** The client's id at the IdP (the `aud` of its ID tokens). */
  clientId: string;
  clientSecret: string;
}

/** One line of the administrator's policy: this client may reach that authorization server. */
export interface EnterpriseIdpPolicyRule {
  /** The client at the IdP. */
  clientId: string;
  /** The issuer of the MCP server's authorization server (the ID-JAG `aud`). */
  audience: string;
  /** Resources of that server the client may reach. */
  resources: string[];
  /** The most the client may be granted there. */
  scopes: string[];
  /** Only users in one of these groups. Default: every user. */
  groups?: string[];
  /** The client's id at that authorization server (the ID-JAG `client_id`). Default: `clientId`. */
  audienceClientId?: string;
}

export interface EnterpriseIdpOptions {
  users?: EnterpriseIdpUser[];
  clients?: EnterpriseIdpClient[];
  policy?: EnterpriseIdpPolicyRule[];
  /** Lifetime of the ID-JAGs of the token exchange. Default 300 s. */
  idJagLifetimeSeconds?: number;
  /** Algorithm of the signing keys (this one and every rotated one). Default RS256. */
  algorithm?: IdpSigningAlgorithm;
}

/** How {@link EnterpriseIdp.mintIdJag} signs. */
export type IdJagSigner =
  /** The published signing key (honest). */
  | 'current'
  /** A key never published, under the current `kid` unless the header says otherwise. */
  | 'rogue'
  /** An unsecured JWT: `alg: none`, empty signature. */
  | 'none'
  /** HMAC-SHA256 with this secret (`alg: HS256`). */
  | { hmacSecret: string | Uint8Array }
  /** Any private key, as `alg`. */
  | { privateKey: KeyObject; alg: IdpSigningAlgorithm };

export interface IdJagCraft {
  /** Protected header members laid over `{ alg, kid, typ: 'oauth-id-jag+jwt' }`; `undefined` removes one. */
  header?: Record<string, unknown>;
  signWith?: IdJagSigner;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, string>;
  at: number;
}

export interface TokenExchangeAnswer {
  issued_token_type: string;
  access_token: string;
  token_type: string;
  scope?: string;
  expires_in: number;
}

interface SigningKey {
  kid: string;
  alg: IdpSigningAlgorithm;
  privateKey: KeyObject;
  jwk: JWK;
}

export async function startEnterpriseIdp(
  options: EnterpriseIdpOptions = {},
): Promise<EnterpriseIdp> {
  const idp = new EnterpriseIdp(options);
  await idp.listen();
  return idp;
}

export class EnterpriseIdp {
  /** `http://127.0.0.1:<port>`: the issuer and the base of every endpoint. */
  issuer = '';
  readonly users: EnterpriseIdpUser[];
  readonly clients: EnterpriseIdpClient[];
  /** The administrator's policy; tests may change it at any time. */
  policy: EnterpriseIdpPolicyRule[];
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[] = [];
  /** Every token it handed out or minted (ID tokens, ID-JAGs, access tokens), for secret scans. */
  readonly issued: string[] = [];
  readonly algorithm: IdpSigningAlgorithm;
  private readonly idJagLifetime: number;
  private readonly server: Server;
  /** Published keys, newest first; the first one signs. */
  private published: SigningKey[] = [];
  private readonly rogue: SigningKey;

  constructor(options: EnterpriseIdpOptions) {
    this.users = [...(options.users ?? [])];
    this.clients = [...(options.clients ?? [])];
    this.policy = [...(options.policy ?? [])];
    this.algorithm = options.algorithm ?? 'RS256';
    this.idJagLifetime = options.idJagLifetimeSeconds ?? 300;
    this.published = [newKey(this.algorithm)];
    this.rogue = newKey(this.algorithm);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  get tokenEndpoint(): string {
    return `${this.issuer}/token`;
  }

  /** `kid` of the key that signs now. */
  get currentKid(): string {
    return this.published[0].kid;
  }

  /** The published key set, as `/jwks` serves it. */
  get jwks(): { keys: JWK[] } {
    return { keys: this.published.map((key) => ({ ...key.jwk })) };
  }

  /** The current public key as a PEM (an attacker can read it: it is published). */
  get publicKeyPem(): string {
    return createPublicKeyPem(this.published[0].privateKey);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /**
   * A new signing key under a new `kid`. `retirePrevious` (default true) stops publishing the
   * keys before it: what they signed no longer verifies. Otherwise both are published.
   */
  rotateKey(options: { retirePrevious?: boolean } = {}): string {
    const key = newKey(this.algorithm);
    this.published = options.retirePrevious === false ? [key, ...this.published] : [key];
    return key.kid;
  }

  /**
   * An ID-JAG made directly, not by a token exchange: honest claims (`iss`, `sub` of the first
   * user, `jti`, `iat` now, `exp` in 300 s) with `claims` laid over them (`undefined` removes
   * one), signed and headed as `craft` says. Give at least `aud`, `resource` and `client_id`.
   */
  mintIdJag(claims: Record<string, unknown>, craft: IdJagCraft = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = withOverrides(
      {
        iss: this.issuer,
        sub: this.users[0]?.subject ?? 'enterprise-user-1',
        jti: randomUUID(),
        iat: now,
        exp: now + this.idJagLifetime,
      },
      claims,
    );
    const signer = craft.signWith ?? 'current';
    const key = signer === 'rogue' ? this.rogue : this.published[0];
    const alg =
      signer === 'none'
        ? 'none'
        : typeof signer === 'object' && 'hmacSecret' in signer
          ? 'HS256'
          : typeof signer === 'object'
            ? signer.alg
            : key.alg;
    const header = withOverrides(
      { alg, kid: this.published[0].kid, typ: ID_JAG_TYP },
      craft.header ?? {},
    );
    const input = `${base64url(header)}.${base64url(payload)}`;
    let signature: Buffer;
    if (signer === 'none') signature = Buffer.alloc(0);
    else if (typeof signer === 'object' && 'hmacSecret' in signer) {
      signature = createHmac('sha256', signer.hmacSecret).update(input).digest();
    } else if (typeof signer === 'object') {
      signature = rawSignature(signer.alg, signer.privateKey, input);
    } else {
      signature = rawSignature(key.alg, key.privateKey, input);
    }
    const token = `${input}.${signature.toString('base64url')}`;
    this.issued.push(token);
    return token;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  // ------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: req.headers,
      body: Object.fromEntries(new URLSearchParams(await readBody(req))),
      at: Date.now(),
    };
    this.requests.push(request);
    switch (`${request.method} ${request.path}`) {
      case 'GET /.well-known/openid-configuration':
      case 'GET /.well-known/oauth-authorization-server':
        return json(res, 200, this.metadata());
      case 'GET /jwks':
        return json(res, 200, this.jwks);
      case 'POST /token':
        return this.token(res, request);
      default:
        return json(res, 404, { error: 'not_found' });
    }
  }

  private metadata(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [this.algorithm],
      grant_types_supported: ['password', TOKEN_EXCHANGE_GRANT_TYPE],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['openid', 'profile', 'email'],
    };
  }

  private async token(res: ServerResponse, request: RecordedRequest): Promise<void> {
    const client = this.authenticate(request);
    if (client === 'invalid_request') {
      return json(res, 400, {
        error: 'invalid_request',
        error_description: 'One client authentication method only.',
      });
    }
    if (!client) {
      res.setHeader('www-authenticate', 'Basic realm="enterprise-idp"');
      return json(res, 401, { error: 'invalid_client' });
    }
    const body = request.body;
    if (body.grant_type === 'password') return this.signIn(res, client, body);
    if (body.grant_type === TOKEN_EXCHANGE_GRANT_TYPE) return this.exchange(res, client, body);
    return json(res, 400, { error: 'unsupported_grant_type' });
  }

  /** RFC 6749 §2.3.1 Basic (form-encoded id and secret), or both in the body. */
  private authenticate(
    request: RecordedRequest,
  ): EnterpriseIdpClient | 'invalid_request' | undefined {
    const header = request.headers.authorization;
    const inBody = request.body.client_secret !== undefined;
    if (header && inBody) return 'invalid_request';
    let id: string | undefined;
    let secret: string | undefined;
    if (header) {
      const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
      const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      if (colon < 0) return undefined;
      const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
      try {
        id = decode(decoded.slice(0, colon));
        secret = decode(decoded.slice(colon + 1));
      } catch {
        return undefined;
      }
    } else {
      id = request.body.client_id;
      secret = request.body.client_secret;
    }
    const client = this.clients.find((candidate) => candidate.clientId === id);
    return client && secret !== undefined && sameText(secret, client.clientSecret)
      ? client
      : undefined;
  }

  private async signIn(
    res: ServerResponse,
    client: EnterpriseIdpClient,
    body: Record<string, string>,
  ): Promise<void> {
    const user = this.users.find((candidate) => candidate.username === body.username);
    if (!user || !sameText(body.password ?? '', user.password)) {
      return json(res, 400, {
        error: 'invalid_grant',
        error_description: 'Wrong username or password.',
      });
    }
    const now = Math.floor(Date.now() / 1000);
    const idToken = await this.sign(
      {
        ...(user.claims ?? {}),
        iss: this.issuer,
        sub: user.subject,
        aud: client.clientId,
        iat: now,
        exp: now + 3600,
        auth_time: now,
        ...(user.email ? { email: user.email } : {}),
        ...(user.groups ? { groups: user.groups } : {}),
      },
      'JWT',
    );
    const accessToken = randomBytes(24).toString('base64url');
    this.issued.push(accessToken);
    return json(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      id_token: idToken,
      scope: 'openid',
    });
  }

  /** RFC 8693 token exchange of an ID token for an ID-JAG (ext-auth §4). */
  private async exchange(
    res: ServerResponse,
    client: EnterpriseIdpClient,
    body: Record<string, string>,
  ): Promise<void> {
    const refuse = (error: string, description: string) =>
      json(res, 400, { error, error_description: description });
    if (body.requested_token_type !== ID_JAG_TOKEN_TYPE) {
      return refuse('invalid_request', `requested_token_type must be ${ID_JAG_TOKEN_TYPE}.`);
    }
    if (body.subject_token_type !== ID_TOKEN_TOKEN_TYPE) {
      return refuse('invalid_request', `subject_token_type must be ${ID_TOKEN_TOKEN_TYPE}.`);
    }
    if (!body.subject_token || !body.audience || !body.resource) {
      return refuse('invalid_request', 'subject_token, audience and resource are required.');
    }
    // §4.1: the subject token is validated, and its audience is the requesting client.
    let subject: Record<string, unknown>;
    try {
      ({ payload: subject } = await jwtVerify(body.subject_token, createLocalJWKSet(this.jwks), {
        issuer: this.issuer,
        audience: client.clientId,
        algorithms: [this.algorithm],
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      return refuse('invalid_grant', `The subject token is not valid: ${(error as Error).message}`);
    }
    const user = this.users.find((candidate) => candidate.subject === subject.sub);
    if (!user) return refuse('invalid_grant', 'Unknown user.');
    // The administrator's policy: client → audience, resource, groups, scopes.
    const rule = this.policy.find(
      (candidate) => candidate.clientId === client.clientId && candidate.audience === body.audience,
    );
    if (!rule || !rule.resources.includes(body.resource)) {
      return refuse('invalid_target', 'This client may not reach that server.');
    }
    if (rule.groups && !rule.groups.some((group) => user.groups?.includes(group))) {
      return refuse('invalid_grant', 'The policy does not allow this user there.');
    }
    const requested = (body.scope ?? '').split(' ').filter(Boolean);
    const scopes = [...new Set(requested.filter((scope) => rule.scopes.includes(scope)))];
    if (requested.length > 0 && scopes.length === 0) {
      return refuse('invalid_scope', 'None of the requested scopes is allowed.');
    }
    const now = Math.floor(Date.now() / 1000);
    const idJag = await this.sign(
      {
        ...(user.claims ?? {}),
        iss: this.issuer,
        sub: user.subject,
        aud: body.audience,
        resource: body.resource,
        client_id: rule.audienceClientId ?? client.clientId,
        jti: randomUUID(),
        iat: now,
        exp: now + this.idJagLifetime,
        ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
        ...(user.email ? { email: user.email } : {}),
      },
      ID_JAG_TYP,
    );
    const answer: TokenExchangeAnswer = {
      issued_token_type: ID_JAG_TOKEN_TYPE,
      access_token: idJag,
      token_type: 'N_A',
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      expires_in: this.idJagLifetime,
    };
    return json(res, 200, answer);
  }

  private async sign(claims: Record<string, unknown>, typ: string): Promise<string> {
    const key = this.published[0];
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .sign(key.privateKey);
    this.issued.push(token);
    return token;
  }
}

// ---------------------------------------------------------------------------------------------
// The client's side, for tests that need an honest ID-JAG without spelling out each request
// ---------------------------------------------------------------------------------------------

export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** Signs `user` in to `client` at the IdP (password grant) and returns the ID token. */
export async function signInAtIdp(
  idp: EnterpriseIdp,
  client: EnterpriseIdpClient,
  user: Pick<EnterpriseIdpUser, 'username' | 'password'>,
): Promise<string> {
  const response = await fetch(idp.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization(client.clientId, client.clientSecret),
    },
    body: new URLSearchParams({
      grant_type: 'password',
      username: user.username,
      password: user.password,
      scope: 'openid email',
    }).toString(),
  });
  const body = (await response.json()) as { id_token?: string };
  if (!response.ok || !body.id_token) {
    throw new Error(`sign-in at the IdP failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.id_token;
}

/** RFC 8693 token exchange of `idToken` for an ID-JAG (client_secret_basic); the raw answer. */
export async function exchangeForIdJag(
  idp: EnterpriseIdp,
  client: EnterpriseIdpClient,
  request: { idToken: string; audience: string; resource: string; scope?: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(idp.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization(client.clientId, client.clientSecret),
    },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      requested_token_type: ID_JAG_TOKEN_TYPE,
      audience: request.audience,
      resource: request.resource,
      ...(request.scope !== undefined ? { scope: request.scope } : {}),
      subject_token: request.idToken,
      subject_token_type: ID_TOKEN_TOKEN_TYPE,
    }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Sign-in and token exchange: an honest ID-JAG for `user` through `client`. */
export async function obtainIdJag(
  idp: EnterpriseIdp,
  client: EnterpriseIdpClient,
  user: Pick<EnterpriseIdpUser, 'username' | 'password'>,
  request: { audience: string; resource: string; scope?: string },
): Promise<string> {
  const idToken = await signInAtIdp(idp, client, user);
  const { status, body } = await exchangeForIdJag(idp, client, { idToken, ...request });
  if (status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`token exchange at the IdP failed: ${status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

// ---------------------------------------------------------------------------------------------

function newKey(alg: IdpSigningAlgorithm): SigningKey {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk };
}

function createPublicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

/** The JWS signature of `input` (RS256: PKCS#1 v1.5; ES256: the raw r‖s of RFC 7518 §3.4). */
function rawSignature(alg: IdpSigningAlgorithm, key: KeyObject, input: string): Buffer {
  return alg === 'ES256'
    ? signBytes('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    : signBytes('sha256', Buffer.from(input), key);
}

function withOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const result = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function sameText(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
  });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString('utf8');
  return text;
}
