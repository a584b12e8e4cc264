import { Logger, type LoggerService } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { TestBrowser, parseForm } from '../../support/browser';
import type { McpAuthModuleForRootOptions } from '@app/mcp-auth';
import {
  createTestApp,
  TEST_RESOURCE_SERVER,
  type TestApp,
  type TestAppOptions,
} from '../../support/test-app';

/**
 * Shared pieces of the security suites: raw HTTP, database snapshots ("did this refused
 * request change anything?"), a registry of every secret the tests saw (to look for them in
 * the database and the logs) and the browser side of an authorization.
 */

export const REDIRECT_URI = 'http://127.0.0.1:8976/callback';
export const WEB_REDIRECT_URI = 'https://app.example.com/cb';

// ---------------------------------------------------------------------------------------------
// Secrets seen during a suite
// ---------------------------------------------------------------------------------------------

/** Every secret value (token, code, client secret, CSRF token, cookie...) the suite handled. */
export class SecretRegistry {
  private readonly values = new Map<string, string>();

  add(kind: string, value: string | undefined | null): void {
    if (typeof value === 'string' && value.length >= 16) this.values.set(value, kind);
  }

  /** Secrets (with their kind) that occur in `text`. JWTs are also looked for by signature. */
  foundIn(text: string): { kind: string; sample: string }[] {
    const found: { kind: string; sample: string }[] = [];
    for (const [value, kind] of this.values) {
      const needles = [value];
      if (kind === 'access_token') needles.push(value.split('.')[2] ?? value);
      if (needles.some((needle) => needle.length >= 16 && text.includes(needle))) {
        found.push({ kind, sample: `${value.slice(0, 8)}…` });
      }
    }
    return found;
  }

  /**
   * Which of `kinds` the suite never recorded: a scan for secrets of a kind that was never
   * seen proves nothing, so closing scans first expect this to be empty.
   */
  kindsNotSeen(kinds: readonly string[]): string[] {
    const seen = new Set(this.values.values());
    return kinds.filter((kind) => !seen.has(kind));
  }

  countByKind(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const kind of this.values.values()) counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  }
}

// ---------------------------------------------------------------------------------------------
// Log capture
// ---------------------------------------------------------------------------------------------

/** A Nest logger that keeps every line (all levels) instead of printing it. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private record(level: string, message: unknown, rest: unknown[]): void {
    const parts = [message, ...rest].map((part) =>
      part instanceof Error ? `${part.name}: ${part.message}\n${part.stack ?? ''}` : String(part),
    );
    this.lines.push(`[${level}] ${parts.join(' ')}`);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.record('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.record('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.record('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.record('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.record('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.record('fatal', message, rest);
  }
}

/**
 * Routes every Nest log line (all levels, debug included) and every console call into one
 * buffer. Returns the buffer and a function that restores the console.
 */
export function captureLogs(app: TestApp['app']): { logger: CapturingLogger; restore(): void } {
  const logger = new CapturingLogger();
  Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
  app.useLogger(logger);
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logger.lines.push(`[console.${method}] ${args.map(String).join(' ')}`);
    }),
  );
  return {
    logger,
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Database snapshots
// ---------------------------------------------------------------------------------------------

/** Primary-key columns of the module's tables, to tell a changed row from an added one. */
const PRIMARY_KEYS: Record<string, string[]> = {
  mcp_auth_clients: ['issuer', 'client_id'],
  mcp_auth_authorization_requests: ['issuer', 'id_hash'],
  mcp_auth_grants: ['id'],
  mcp_auth_authorization_codes: ['issuer', 'code_hash'],
  mcp_auth_refresh_tokens: ['issuer', 'token_hash'],
  mcp_auth_revoked_access_tokens: ['issuer', 'jti'],
  mcp_auth_signing_keys: ['issuer', 'kid'],
  mcp_auth_consents: ['issuer', 'subject', 'client_id'],
};

/** Every row of every `mcp_auth_` table, per table, keyed by primary key. */
export type DbSnapshot = Record<string, Map<string, string>>;

export async function moduleTables(dataSource: DataSource): Promise<string[]> {
  const rows = await dataSource.query<{ tablename: string }[]>(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
       AND tablename LIKE 'mcp\\_auth\\_%' ORDER BY tablename`,
  );
  return rows.map((row) => row.tablename);
}

/** Rate-limit counters change on every limited request: not the state the suites compare. */
const COUNTER_TABLES = new Set(['mcp_auth_rate_limits']);

export async function snapshot(dataSource: DataSource): Promise<DbSnapshot> {
  const result: DbSnapshot = {};
  for (const table of await moduleTables(dataSource)) {
    if (COUNTER_TABLES.has(table)) continue;
    const rows = await dataSource.query<{ row: Record<string, unknown> }[]>(
      `SELECT to_jsonb(t) AS row FROM "${table}" t`,
    );
    const keys = PRIMARY_KEYS[table];
    const map = new Map<string, string>();
    for (const { row } of rows) {
      const text = JSON.stringify(row);
      map.set(keys ? keys.map((key) => String(row[key])).join('\u0000') : text, text);
    }
    result[table] = map;
  }
  return result;
}

export interface TableChange {
  added: number;
  removed: number;
  changed: number;
}

/** Per table, how many rows were added, removed or changed; tables without change omitted. */
export function diffSnapshots(before: DbSnapshot, after: DbSnapshot): Record<string, TableChange> {
  const changes: Record<string, TableChange> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[table] ?? new Map<string, string>();
    const b = after[table] ?? new Map<string, string>();
    const change: TableChange = { added: 0, removed: 0, changed: 0 };
    for (const [key, row] of b) {
      if (!a.has(key)) change.added++;
      else if (a.get(key) !== row) change.changed++;
    }
    for (const key of a.keys()) if (!b.has(key)) change.removed++;
    if (change.added || change.removed || change.changed) changes[table] = change;
  }
  return changes;
}

/** Short table names for readable expectations: `codes`, `grants`... */
export function shortNames(changes: Record<string, TableChange>): Record<string, TableChange> {
  return Object.fromEntries(
    Object.entries(changes).map(([table, change]) => [
      table.replace(/^mcp_auth_/, '').replace(/^authorization_/, ''),
      change,
    ]),
  );
}

/** The whole content of every `mcp_auth_` table as text, for secret scans. */
export async function dumpModuleTables(dataSource: DataSource): Promise<string> {
  const parts: string[] = [];
  for (const table of await moduleTables(dataSource)) {
    const rows = await dataSource.query<{ row: string }[]>(
      `SELECT to_jsonb(t)::text AS row FROM "${table}" t`,
    );
    parts.push(`## ${table}`, ...rows.map((row) => row.row));
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: Record<string, unknown> | undefined;
  location: string | null;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Form fields; arrays become repeated parameters. */
  form?: Record<string, string | string[]>;
  jsonBody?: unknown;
}

export async function http(
  base: string,
  path: string,
  init: RawRequest = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | Buffer | undefined = init.body;
  if (init.form) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(init.form)) {
      for (const item of Array.isArray(value) ? value : [value]) params.append(name, item);
    }
    body = params.toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (init.jsonBody !== undefined) {
    body = JSON.stringify(init.jsonBody);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(new URL(path, base), {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    redirect: 'manual',
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    json,
    location: response.headers.get('location'),
  };
}

const STACK_TRACE =
  /\n\s+at\s|node_modules|\.ts:\d+|QueryFailedError|TypeError|ReferenceError|SyntaxError:/;

/** Never a 5xx (unless allowed), never a stack trace or internal detail in the body. */
export function expectNoInternals(response: RawResponse, allow5xx = false): void {
  if (!allow5xx) expect(response.status).toBeLessThan(500);
  expect(response.text).not.toMatch(STACK_TRACE);
}

/** AS-24: exactly `{ error, error_description? }`, JSON, no-store, with the expected status. */
export function expectOAuthJson(response: RawResponse, status: number, error: string): void {
  expect({ status: response.status, error: response.json?.error }).toEqual({ status, error });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const keys = Object.keys(response.json ?? {}).filter((key) => key !== 'error_description');
  expect(keys).toEqual(['error']);
  expectNoInternals(response, status >= 500);
}

/** An HTML error page of the interaction/authorize endpoints: no redirect, framing refused. */
export function expectErrorPage(response: RawResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.location).toBeNull();
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expectNoInternals(response, status >= 500);
}

// ---------------------------------------------------------------------------------------------
// Clients, PKCE and the browser side of an authorization
// ---------------------------------------------------------------------------------------------

export interface Client {
  clientId: string;
  secret?: string;
  method: 'none' | 'client_secret_basic' | 'client_secret_post';
  redirectUris: string[];
}

/** The pre-registered resource server of every test app: the one caller allowed to introspect. */
export function resourceServer(secrets: SecretRegistry): Client {
  secrets.add('client_secret', TEST_RESOURCE_SERVER.secret);
  return { ...TEST_RESOURCE_SERVER, redirectUris: [] };
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export function basicAuth(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** Registers a client over HTTP (RFC 7591). */
export async function register(
  t: { url: string },
  secrets: SecretRegistry,
  method: Client['method'] = 'none',
  metadata: Record<string, unknown> = {},
): Promise<Client> {
  const redirectUris = (metadata.redirect_uris as string[] | undefined) ?? [REDIRECT_URI];
  const response = await http(t.url, '/register', {
    jsonBody: {
      redirect_uris: redirectUris,
      token_endpoint_auth_method: method,
      application_type: redirectUris.every((uri) => uri.startsWith('http://')) ? 'native' : 'web',
      client_name: `security ${method}`,
      ...metadata,
    },
  });
  if (response.status !== 201) throw new Error(`registration failed: ${response.text}`);
  const secret = response.json?.client_secret as string | undefined;
  secrets.add('client_secret', secret);
  return { clientId: response.json?.client_id as string, secret, method, redirectUris };
}

/** Adds the client's authentication to a token/revoke/introspect request. */
export function authenticate(client: Client, form: Record<string, string | string[]>): RawRequest {
  if (client.method === 'client_secret_basic') {
    return { form, headers: { authorization: basicAuth(client.clientId, client.secret ?? '') } };
  }
  if (client.method === 'client_secret_post') {
    return { form: { ...form, client_id: client.clientId, client_secret: client.secret ?? '' } };
  }
  return { form: { ...form, client_id: client.clientId } };
}

export function authorizeUrl(
  t: { url: string },
  client: Pick<Client, 'clientId' | 'redirectUris'>,
  params: Record<string, string | undefined> = {},
): string {
  const url = new URL('/authorize', t.url);
  const defaults: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUris[0],
    scope: 'mcp:tools mcp:resources',
    state: 'state-123',
    resource: `${t.url}/mcp`,
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries({ ...defaults, ...params })) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.toString();
}

export interface ObtainedCode {
  code: string;
  verifier: string;
  challenge: string;
  redirectUri: string;
  state: string | null;
  browser: TestBrowser;
}

/**
 * Plays the person through /authorize, login and consent, recording every CSRF token,
 * cookie and interaction id on the way. Returns the code the client receives.
 */
export async function obtainCode(
  t: { url: string },
  client: Client,
  secrets: SecretRegistry,
  options: {
    browser?: TestBrowser;
    params?: Record<string, string | undefined>;
    username?: string;
    password?: string;
    pkce?: { verifier: string; challenge: string };
  } = {},
): Promise<ObtainedCode> {
  const pair = options.pkce ?? pkce();
  secrets.add('code_verifier', pair.verifier);
  const browser = options.browser ?? new TestBrowser(t.url);
  const url = authorizeUrl(t, client, { code_challenge: pair.challenge, ...options.params });
  let step = await browser.navigate(url);
  for (let pages = 0; pages < 4 && !step.location; pages++) {
    recordInteraction(secrets, browser, step.url);
    const form = parseForm(step.html ?? '');
    if (!form)
      throw new Error(`no form (status ${step.response.status}): ${step.html?.slice(0, 300)}`);
    secrets.add('csrf_token', form.csrf);
    const action = new URL(form.action, step.url).toString();
    step = form.fields.includes('password')
      ? await browser.navigate(action, {
          form: {
            csrf: form.csrf,
            username: options.username ?? 'alice',
            password: options.password ?? 'alice-password',
          },
        })
      : await browser.navigate(action, { form: { csrf: form.csrf, decision: 'approve' } });
  }
  if (!step.location) throw new Error('the server never redirected to the client');
  // Sign-in replaced the binding cookie; the scans for secrets in clear look for it too.
  recordInteraction(secrets, browser, step.url);
  const redirect = new URL(step.location);
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code in ${redirect.toString()}`);
  secrets.add('code', code);
  return {
    code,
    verifier: pair.verifier,
    challenge: pair.challenge,
    redirectUri: `${redirect.origin}${redirect.pathname}`,
    state: redirect.searchParams.get('state'),
    browser,
  };
}

/** Records the browser-binding cookie and the interaction id of an interaction page URL. */
export function recordInteraction(
  secrets: SecretRegistry,
  browser: TestBrowser,
  url: string,
): void {
  for (const pair of browser.cookieHeader().split('; ')) {
    secrets.add('browser_cookie', pair.slice(pair.indexOf('=') + 1));
  }
  const match = /\/interaction\/([A-Za-z0-9_-]{43})/.exec(url);
  if (match) secrets.add('interaction_id', match[1]);
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

export async function redeem(
  t: { url: string },
  client: Client,
  obtained: Pick<ObtainedCode, 'code' | 'verifier' | 'redirectUri'>,
  overrides: Record<string, string | string[]> = {},
): Promise<RawResponse> {
  return http(
    t.url,
    '/token',
    authenticate(client, {
      grant_type: 'authorization_code',
      code: obtained.code,
      code_verifier: obtained.verifier,
      redirect_uri: obtained.redirectUri,
      ...overrides,
    }),
  );
}

export function recordTokens(
  secrets: SecretRegistry,
  body: Record<string, unknown> | undefined,
): Tokens {
  const tokens = body as unknown as Tokens;
  secrets.add('access_token', tokens?.access_token);
  secrets.add('refresh_token', tokens?.refresh_token);
  return tokens;
}

/** A whole authorization: code from the browser, then tokens. */
export async function fullFlow(
  t: { url: string },
  client: Client,
  secrets: SecretRegistry,
): Promise<Tokens> {
  const obtained = await obtainCode(t, client, secrets);
  const response = await redeem(t, client, obtained);
  if (response.status !== 200) throw new Error(`token request failed: ${response.text}`);
  return recordTokens(secrets, response.json);
}

export async function refreshWith(
  t: { url: string },
  client: Client,
  refreshToken: string,
  extra: Record<string, string | string[]> = {},
): Promise<RawResponse> {
  return http(
    t.url,
    '/token',
    authenticate(client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }),
  );
}

/** RFC 7662 through a dedicated confidential client. */
export async function introspect(
  t: { url: string },
  introspector: Client,
  token: string,
): Promise<Record<string, unknown>> {
  const response = await http(t.url, '/introspect', authenticate(introspector, { token }));
  if (response.status !== 200) throw new Error(`introspection failed: ${response.text}`);
  return response.json ?? {};
}

/**
 * Module options every security suite adds: the module's own rate limits off (these suites
 * send hundreds of requests from one address on purpose; rate-limit.e2e-spec turns them on).
 */
const SUITE_OPTIONS: Partial<McpAuthModuleForRootOptions> = { rateLimit: false };

/** createTestApp plus the options the security suites share. */
export function createSecurityApp(options: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp({
    ...options,
    auth: (origin) => ({ ...(options.auth?.(origin) ?? {}), ...SUITE_OPTIONS }),
  });
}

/** Runs `work` and returns what it changed in the database. */
export async function changesOf(
  dataSource: DataSource,
  work: () => Promise<void>,
): Promise<Record<string, TableChange>> {
  const before = await snapshot(dataSource);
  await work();
  return shortNames(diffSnapshots(before, await snapshot(dataSource)));
}
