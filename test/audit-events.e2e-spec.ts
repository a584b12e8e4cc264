import { Injectable, Logger } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import {
  type AuditOptions,
  type McpAuthAuditEvent,
  type McpAuthAuditEventOf,
  type McpAuthAuditEventType,
  SigningKeyService,
  type StaticClientOptions,
  UpstreamTokens,
} from '@app/mcp-auth';
import { decodeJwt } from 'jose';
import { loadDevIdpConfig } from '../apps/dev-identity-provider/src/config';
import { startDevIdp, type RunningDevIdp } from '../apps/dev-identity-provider/src/server';
import { createClients, publicClient } from './support/authorization-fixtures';
import { TestBrowser, parseForm } from './support/browser';
import { FederationBrowser, formTo } from './support/federation-browser';
import { computeS256Challenge } from './support/pkce';
import { createTestApp, defaultAuthOptions, freePort, type TestApp } from './support/test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './support/test-database';
import {
  authenticate,
  authorizeUrl,
  captureLogs,
  type CapturingLogger,
  type Client,
  http,
  obtainCode,
  pkce,
  recordInteraction,
  recordTokens,
  redeem,
  refreshWith,
  register,
  resourceServer,
  SecretRegistry,
} from './security/support/harness';

/**
 * Audit events: every security-relevant step of real flows is emitted as a
 * typed event through @nestjs/event-emitter and written as a JSON log line, and neither holds
 * any secret the flows handled.
 */

/** What the host's SIEM shipper would be: one listener for every audit event. */
@Injectable()
class AuditCollector {
  readonly events: McpAuthAuditEvent[] = [];

  @OnEvent('mcp-auth.**')
  collect(event: McpAuthAuditEvent): void {
    this.events.push(event);
  }

  types(): McpAuthAuditEventType[] {
    return this.events.map((event) => event.type);
  }

  since(count: number): McpAuthAuditEvent[] {
    return this.events.slice(count);
  }

  /** The one event of `type` among `events`. */
  static only<T extends McpAuthAuditEventType>(
    events: McpAuthAuditEvent[],
    type: T,
  ): McpAuthAuditEventOf<T> {
    const found = events.filter((event) => event.type === type);
    expect(found).toHaveLength(1);
    return found[0] as McpAuthAuditEventOf<T>;
  }
}

const MACHINE: StaticClientOptions = {
  client_id: 'audit-machine',
  client_secret: 'audit-machine-secret-0123456789abcdef',
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['client_credentials'],
  scope: 'mcp:tools',
};
const WRONG_PASSWORD = 'not-alices-password-0123456789';

function auditApp(
  audit: AuditOptions | undefined,
  extra: {
    db?: TestDatabase;
    port?: number;
    clients?: StaticClientOptions[];
    emitter?: boolean;
  } = {},
): Promise<TestApp> {
  return createTestApp({
    db: extra.db,
    port: extra.port,
    auth: (origin) => ({
      audit,
      clients: extra.clients ?? [...(defaultAuthOptions(origin).clients ?? []), MACHINE],
      tokens: { refreshReuseGraceSeconds: 0 },
      // Only introspection is limited, and after one request: the rate-limit event.
      rateLimit: {
        register: false,
        authorize: false,
        interaction: false,
        token: false,
        revoke: false,
        introspect: { limit: 1, ttl: 60 },
        storage: 'memory',
      },
    }),
    module:
      extra.emitter === false
        ? {}
        : {
            imports: [EventEmitterModule.forRoot({ wildcard: true })],
            providers: [AuditCollector],
          },
  });
}

/** Signs in with a wrong password on a fresh authorization; the login page answers 401. */
async function failLogin(t: TestApp, client: Client, secrets: SecretRegistry): Promise<void> {
  const browser = new TestBrowser(t.url);
  const page = await browser.navigate(
    authorizeUrl(t, client, { code_challenge: pkce().challenge }),
  );
  recordInteraction(secrets, browser, page.url);
  const form = parseForm(page.html ?? '');
  expect(form?.fields).toContain('password');
  secrets.add('csrf_token', form?.csrf);
  const answer = await browser.navigate(new URL(form!.action, page.url).toString(), {
    form: { csrf: form!.csrf, username: 'alice', password: WRONG_PASSWORD },
  });
  expect(answer.response.status).toBe(401);
}

/** Signs in and denies on the consent page. */
async function deny(t: TestApp, client: Client): Promise<void> {
  const redirect = await new TestBrowser(t.url).authorize(
    authorizeUrl(t, client, { code_challenge: pkce().challenge, prompt: 'consent' }),
    { decision: 'deny' },
  );
  expect(redirect.searchParams.get('error')).toBe('access_denied');
}

/** Every secret the suite handled, the password and the wrong one included, is absent. */
function expectNoSecrets(secrets: SecretRegistry, text: string): void {
  expect(secrets.foundIn(text)).toEqual([]);
  expect(text).not.toContain('alice-password');
  expect(text).not.toContain(WRONG_PASSWORD);
  // No member that could carry one (token.issued's `refresh_token` is a boolean).
  expect(text).not.toMatch(
    /"(password|client_secret|code|code_verifier|access_token|refresh_token|assertion|state|nonce)":"/,
  );
}

describe('Audit events', () => {
  describe('real flows, default options', () => {
    let t: TestApp;
    let collector: AuditCollector;
    let logs: { logger: CapturingLogger; restore(): void };
    const secrets = new SecretRegistry();
    let bootEvents: McpAuthAuditEvent[];

    beforeAll(async () => {
      t = await auditApp(undefined);
      collector = t.app.get(AuditCollector);
      // Listeners attach at bootstrap; what was raised before is delivered then.
      await new Promise((resolve) => setImmediate(resolve));
      bootEvents = [...collector.events];
      logs = captureLogs(t.app);
      secrets.add('client_secret', MACHINE.client_secret);
    });
    afterAll(async () => {
      logs?.restore();
      Logger.overrideLogger(['error', 'warn']);
      await t?.close();
    });

    it('at boot: the first signing key and the pre-registered clients', () => {
      expect(bootEvents.map((event) => event.type).sort()).toEqual([
        'client.registered',
        'client.registered',
        'signing_key.created',
      ]);
      const machine = bootEvents.find(
        (event) => event.type === 'client.registered' && event.client_id === MACHINE.client_id,
      );
      expect(machine).toMatchObject({
        source: 'static',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        issuer: t.url,
      });
    });

    it('raises each event of the flows, in order, with its facts and nothing secret', async () => {
      const start = collector.events.length;
      const client = await register(t, secrets, 'client_secret_basic');

      await failLogin(t, client, secrets);

      // Consent asked and given; the code is redeemed, refreshed, then the old refresh token
      // is replayed (no grace window): the grant is revoked.
      const first = await obtainCode(t, client, secrets);
      const tokens = recordTokens(secrets, (await redeem(t, client, first)).json);
      const refreshed = await refreshWith(t, client, tokens.refresh_token!);
      expect(refreshed.status).toBe(200);
      recordTokens(secrets, refreshed.json);
      expect((await refreshWith(t, client, tokens.refresh_token!)).status).toBe(400);

      // Consent remembered (a confidential client): the code comes without a consent page.
      const second = await obtainCode(t, client, secrets);
      const replayed = recordTokens(secrets, (await redeem(t, client, second)).json);
      expect((await redeem(t, client, second)).status).toBe(400);

      // RFC 7009: an access token, then a refresh token (its grant).
      const third = await obtainCode(t, client, secrets);
      const revoked = recordTokens(secrets, (await redeem(t, client, third)).json);
      for (const token of [revoked.access_token, revoked.refresh_token!]) {
        expect((await http(t.url, '/revoke', authenticate(client, { token }))).status).toBe(200);
      }
      expect(replayed.access_token).toBeDefined();

      await deny(t, client);

      const machine: Client = {
        clientId: MACHINE.client_id,
        secret: MACHINE.client_secret,
        method: 'client_secret_basic',
        redirectUris: [],
      };
      const issued = await http(
        t.url,
        '/token',
        authenticate(machine, { grant_type: 'client_credentials' }),
      );
      expect(issued.status).toBe(200);
      recordTokens(secrets, issued.json);

      const introspector = resourceServer(secrets);
      const introspect = () =>
        http(t.url, '/introspect', authenticate(introspector, { token: revoked.access_token }));
      expect((await introspect()).status).toBe(200);
      // One event when the block begins, not one per refused request.
      expect((await introspect()).status).toBe(429);
      expect((await introspect()).status).toBe(429);

      await t.app.get(SigningKeyService).rotate();

      const events = collector.since(start);
      expect(events.map((event) => event.type)).toEqual([
        'client.registered',
        'sign_in.failed',
        // first authorization
        'sign_in.succeeded',
        'consent.granted',
        'code.issued',
        'token.issued',
        'token.refreshed',
        'refresh_token.reused',
        'grant.revoked',
        // second: remembered consent, then the code replayed
        'sign_in.succeeded',
        'consent.granted',
        'code.issued',
        'token.issued',
        'code.replayed',
        'grant.revoked',
        // third: revoked by the client
        'sign_in.succeeded',
        'consent.granted',
        'code.issued',
        'token.issued',
        'token.revoked',
        'grant.revoked',
        // denied
        'sign_in.succeeded',
        'consent.denied',
        // a machine client
        'token.issued',
        'rate_limit.exceeded',
        'signing_key.rotated',
      ]);
      for (const event of events) {
        expect(event.issuer).toBe(t.url);
        expect(new Date(event.at).toISOString()).toBe(event.at);
      }

      const id = client.clientId;
      expect(events[0]).toMatchObject({
        source: 'dynamic',
        client_id: id,
        client_name: expect.any(String),
      });
      // No user name and no address without the options.
      expect(events[1]).toEqual({
        type: 'sign_in.failed',
        issuer: t.url,
        at: expect.any(String),
        method: 'password',
        client_id: id,
        reason: 'invalid_credentials',
      });
      expect(events[2]).toEqual({
        type: 'sign_in.succeeded',
        issuer: t.url,
        at: expect.any(String),
        method: 'password',
        client_id: id,
        subject: 'user-alice',
      });
      const grant = {
        client_id: id,
        subject: 'user-alice',
        scopes: ['mcp:tools', 'mcp:resources'],
        resource: `${t.url}/mcp`,
      };
      expect(events[3]).toMatchObject({ ...grant, grant_id: expect.any(String), remembered: true });
      const grantId = (events[3] as McpAuthAuditEventOf<'consent.granted'>).grant_id;
      expect(events[4]).toMatchObject({ ...grant, grant_id: grantId });
      expect(events[5]).toMatchObject({
        ...grant,
        grant_id: grantId,
        grant_type: 'authorization_code',
        refresh_token: true,
      });
      expect(events[6]).toMatchObject({ ...grant, grant_id: grantId });
      expect(events[7]).toMatchObject({ client_id: id, grant_id: grantId, grant_revoked: true });
      expect(events[8]).toMatchObject({
        grant_id: grantId,
        reason: 'refresh_token_reuse',
        actor: 'system',
      });
      expect(events[13]).toMatchObject({ client_id: id, grant_revoked: true });
      expect(events[14]).toMatchObject({ reason: 'code_replay', actor: 'system' });
      expect(events[19]).toMatchObject({
        token_type: 'access_token',
        client_id: id,
        subject: 'user-alice',
        jti: expect.any(String),
        actor: 'client',
      });
      expect(events[20]).toMatchObject({ reason: 'revoked_by_client', actor: 'client' });
      expect(events[22]).toMatchObject({ reason: 'access_denied', subject: 'user-alice' });
      expect(events[23]).toMatchObject({
        grant_type: 'client_credentials',
        client_id: MACHINE.client_id,
        subject: MACHINE.client_id,
        refresh_token: false,
      });
      expect(events[24]).toEqual({
        type: 'rate_limit.exceeded',
        issuer: t.url,
        at: expect.any(String),
        endpoint: 'introspect',
        limit: 1,
        window_seconds: 60,
      });
      expect(events[25]).toMatchObject({
        trigger: 'manual',
        kid: expect.any(String),
        retired_kids: [expect.any(String)],
      });

      // The same events, one JSON log line each (warnings for failures and attacks).
      const lines = logs.logger.lines.filter((line) => line.includes('{"type":'));
      expect(
        lines.map(
          (line) =>
            (
              JSON.parse(
                line.slice(line.indexOf('{'), line.lastIndexOf('}') + 1),
              ) as McpAuthAuditEvent
            ).type,
        ),
      ).toEqual(events.map((event) => event.type));
      expect(lines.filter((line) => line.startsWith('[warn]')).length).toBe(4);

      // Nothing secret in either: tokens, codes, verifiers, client secrets, passwords, cookies,
      // CSRF tokens, interaction ids.
      expect(secrets.countByKind()).toMatchObject({
        access_token: expect.any(Number),
        refresh_token: expect.any(Number),
        code: expect.any(Number),
        client_secret: expect.any(Number),
        code_verifier: expect.any(Number),
      });
      expectNoSecrets(secrets, JSON.stringify(collector.events));
      expectNoSecrets(secrets, logs.logger.lines.join('\n'));
    });
  });

  describe('includeUsername and includeClientAddress', () => {
    let t: TestApp;
    const secrets = new SecretRegistry();

    beforeAll(async () => {
      t = await auditApp({ includeUsername: true, includeClientAddress: true });
      Logger.overrideLogger(['error']);
    });
    afterAll(async () => {
      Logger.overrideLogger(['error', 'warn']);
      await t?.close();
    });

    it('add the typed user name and the client address, never the password', async () => {
      const collector = t.app.get(AuditCollector);
      const start = collector.events.length;
      const client = await register(t, secrets, 'none');
      await failLogin(t, client, secrets);
      await obtainCode(t, client, secrets);
      const events = collector.since(start);
      const address = expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/);
      expect(AuditCollector.only(events, 'client.registered')).toMatchObject({ ip: address });
      expect(AuditCollector.only(events, 'sign_in.failed')).toMatchObject({
        username: 'alice',
        ip: address,
      });
      expect(AuditCollector.only(events, 'sign_in.succeeded')).toMatchObject({
        username: 'alice',
        ip: address,
      });
      // A public client: its consent is not remembered.
      expect(AuditCollector.only(events, 'consent.granted').remembered).toBe(false);
      expectNoSecrets(secrets, JSON.stringify(events));
    });
  });

  describe('pre-registered clients changed between boots', () => {
    let db: TestDatabase;
    const apps: TestApp[] = [];
    const client = (id: string, name: string): StaticClientOptions => ({
      client_id: id,
      redirect_uris: ['http://127.0.0.1:8976/callback'],
      client_name: name,
    });

    beforeAll(async () => {
      db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
    });
    afterAll(async () => {
      Logger.overrideLogger(['error', 'warn']);
      for (const app of apps) await app.close();
      await db?.close();
    });

    it('are registered, updated and deleted at boot; unchanged ones raise nothing', async () => {
      const first = await auditApp(undefined, {
        db,
        clients: [client('kept', 'Kept'), client('renamed', 'Old name'), client('removed', 'Gone')],
      });
      apps.push(first);
      await new Promise((resolve) => setImmediate(resolve));
      expect(first.app.get(AuditCollector).types().sort()).toEqual([
        'client.registered',
        'client.registered',
        'client.registered',
        'signing_key.created',
      ]);
      await first.close();
      apps.pop();

      // The same issuer (origin) again: its rows are the ones the first boot wrote.
      const second = await auditApp(undefined, {
        db,
        port: first.port,
        clients: [client('kept', 'Kept'), client('renamed', 'New name'), client('added', 'New')],
      });
      apps.push(second);
      await new Promise((resolve) => setImmediate(resolve));
      const events = second.app.get(AuditCollector).events;
      expect(
        events.map((event) => [event.type, 'client_id' in event ? event.client_id : '']),
      ).toEqual([
        ['client.updated', 'renamed'],
        ['client.registered', 'added'],
        ['client.deleted', 'removed'],
      ]);
      expect(events[0]).toMatchObject({ client_name: 'New name', source: 'static' });
      expect(events[2]).toMatchObject({
        source: 'static',
        actor: 'system',
        reason: 'removed_from_configuration',
      });
    });
  });

  describe('federation: sign-in at an upstream provider', () => {
    const CALLBACK = 'http://127.0.0.1:21001/callback';
    const VERIFIER = 'f'.repeat(43);
    const client = publicClient('audit-federated');
    const secrets = new SecretRegistry();
    let idp: RunningDevIdp;
    let t: TestApp;
    let refuse = false;

    const idpConfig = (port: string, callback: string, issuer?: string) =>
      loadDevIdpConfig({
        PORT: port,
        HOST: '127.0.0.1',
        ...(issuer ? { DEV_IDP_ISSUER: issuer } : {}),
        DEV_IDP_REDIRECT_URIS: callback,
        // Shorter than the refresh margin: every use of the kept token refreshes it upstream.
        DEV_IDP_ACCESS_TOKEN_TTL: '30',
      });

    beforeAll(async () => {
      const port = await freePort();
      const callback = `http://127.0.0.1:${port}/federation/oidc/callback`;
      idp = await startDevIdp(idpConfig('0', callback), () => undefined);
      t = await createTestApp({
        port,
        auth: () => ({
          federation: {
            providers: [
              {
                type: 'oidc',
                id: 'oidc',
                name: 'Dev IdP',
                issuer: idp.issuer,
                clientId: 'sample-mcp-server',
                clientSecret: 'dev-identity-provider-secret',
                allowInsecureHttp: true,
                scopes: ['openid', 'profile', 'offline_access'],
                authorizationParams: { prompt: 'consent' },
                keepTokens: true,
              },
            ],
            tokenEncryptionKeys: ['k'.repeat(40)],
            identity: () =>
              refuse ? { action: 'refuse', reason: 'Not today.' } : { action: 'accept' },
          },
        }),
        module: {
          imports: [EventEmitterModule.forRoot({ wildcard: true })],
          providers: [AuditCollector],
        },
      });
      Logger.overrideLogger(['error']);
      await createClients(t, [client]);
    });
    afterAll(async () => {
      Logger.overrideLogger(['error', 'warn']);
      await t?.close();
      await idp?.close();
    });

    /** Through our consent page and the provider's login; where the browser ends. */
    async function signIn() {
      const url = new URL(`${t.url}/authorize`);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: CALLBACK,
        code_challenge: computeS256Challenge(VERIFIER),
        code_challenge_method: 'S256',
        state: 'client-state',
        scope: 'mcp:tools',
      }).toString();
      const browser = new FederationBrowser(CALLBACK);
      const federate = formTo((await browser.go(url.toString())).page!, '/federate/oidc');
      const login = formTo((await browser.go(federate.action, federate.fields)).page!, '/login');
      let step = await browser.go(login.action, {
        ...login.fields,
        username: 'alice',
        password: 'alice-password',
      });
      if (!step.stopped) step = await browser.go(formTo(step.page, '/confirm').action, {});
      return step;
    }

    it('audits the federated sign-in, a refusal by the host, and a grant the provider ended', async () => {
      const collector = t.app.get(AuditCollector);
      const start = collector.events.length;
      const code = (await signIn()).stopped!.searchParams.get('code')!;
      secrets.add('code', code);
      const response = await http(t.url, '/token', {
        form: {
          grant_type: 'authorization_code',
          client_id: client.clientId,
          code,
          redirect_uri: CALLBACK,
          code_verifier: VERIFIER,
        },
      });
      const tokens = recordTokens(secrets, response.json);
      const gid = decodeJwt(tokens.access_token).gid as string;
      const upstream = t.app.get(UpstreamTokens);
      secrets.add('upstream_access_token', (await upstream.getAccessToken(gid)).accessToken);

      refuse = true;
      // The host's refusal page, whose link returns access_denied to the client.
      const refused = await signIn();
      expect(refused.page?.status).toBe(403);
      expect(refused.page?.html).toContain('Not today.');
      refuse = false;

      // The provider forgets its sessions (restarted on its address): the refresh is refused.
      const address = new URL(idp.issuer);
      const callback = `${t.url}/federation/oidc/callback`;
      await idp.close();
      idp = await startDevIdp(idpConfig(address.port, callback, idp.issuer), () => undefined);
      await expect(upstream.getAccessToken(gid)).rejects.toMatchObject({
        reason: 'upstream_revoked',
      });

      const events = collector.since(start);
      expect(events.map((event) => event.type)).toEqual([
        'sign_in.succeeded',
        'consent.granted',
        'code.issued',
        'token.issued',
        'sign_in.failed',
        'consent.denied',
        'grant.revoked',
      ]);
      expect(events[0]).toMatchObject({
        method: 'federation',
        provider: 'oidc',
        client_id: client.clientId,
        subject: expect.stringMatching(/^oidc\|/),
      });
      expect(events[4]).toMatchObject({
        method: 'federation',
        provider: 'oidc',
        client_id: client.clientId,
        reason: 'identity_refused',
      });
      expect(events[5]).toMatchObject({ reason: 'access_denied' });
      expect(events[6]).toEqual({
        type: 'grant.revoked',
        issuer: t.url,
        at: expect.any(String),
        grant_id: gid,
        reason: 'upstream_revoked',
        actor: 'upstream',
        provider: 'oidc',
      });
      expectNoSecrets(secrets, JSON.stringify(collector.events));
    });
  });

  describe('without @nestjs/event-emitter in the application', () => {
    it('still writes the log lines, and the flows work', async () => {
      const t = await auditApp(undefined, { emitter: false });
      const logs = captureLogs(t.app);
      try {
        const secrets = new SecretRegistry();
        await register(t, secrets, 'none');
        const lines = logs.logger.lines.filter((line) =>
          line.includes('{"type":"client.registered"'),
        );
        expect(lines).toHaveLength(1);
        expectNoSecrets(secrets, logs.logger.lines.join('\n'));
      } finally {
        logs.restore();
        Logger.overrideLogger(['error', 'warn']);
        await t.close();
      }
    });
  });
});
