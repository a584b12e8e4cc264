import type { TestApp } from '../../support/test-app';
import { hashSecret } from '../../support/secrets';
import {
  captureLogs,
  changesOf,
  createSecurityApp,
  dumpModuleTables,
  expectOAuthJson,
  fullFlow,
  http,
  recordTokens,
  refreshWith,
  register,
  resourceServer,
  SecretRegistry,
  WEB_REDIRECT_URI,
  type CapturingLogger,
  type Client,
  type RawResponse,
  type TableChange,
} from './harness';

/**
 * The shared frame of the `*-attacks.e2e-spec.ts` suites: hostile requests against the real
 * app on a real database. Every case asserts the exact status and OAuth error, and what the
 * request changed in the `mcp_auth_` tables: nothing, except where the security rules
 * themselves require a change (a replayed code or a reused refresh token revokes its grant; a
 * code presented with a wrong binding is refused without touching it, see
 * AuthorizationCodeGrant).
 *
 * Each suite boots its own app and registers its own clients ({@link useAttackBattery}); the
 * app's whole log output is captured while the suite runs, and the suite ends with
 * {@link scanForSecrets}: no table and no log line holds any secret the suite handled.
 */

export const NO_CHANGE: Record<string, TableChange> = {};
export const changed = (count = 1): TableChange => ({ added: 0, removed: 0, changed: count });
/** A replay or a refresh reuse: the grant is revoked; nothing created. */
export const GRANT_REVOKED = { grants: changed() };

/** The app and clients of one suite, available from its `beforeAll` hooks on. */
export interface BatteryFixtures {
  t: TestApp;
  /** Public client (`none`) on the loopback redirect URI. */
  publicClient: Client;
  /** A second public client on the same redirect URI. */
  otherPublic: Client;
  /** Confidential client, `client_secret_basic`. */
  basic: Client;
  /** Confidential client, `client_secret_post`. */
  post: Client;
  /** Public web client on {@link WEB_REDIRECT_URI}. */
  web: Client;
  /** The pre-registered resource server, the one caller allowed to introspect. */
  introspector: Client;
}

export interface AttackBattery {
  /** Every secret the suite handled; the scans look for each of them. */
  readonly secrets: SecretRegistry;
  /** The fixtures; throws when called before the suite's `beforeAll` ran. */
  readonly fixtures: () => BatteryFixtures;
  /** One hostile case: runs `attack` and checks what it changed in the database. */
  readonly hostile: (
    name: string,
    attack: () => Promise<void>,
    expected?: Record<string, TableChange>,
  ) => void;
  /** Counts hostile cases written as plain `it` (they check the database themselves). */
  readonly countCases: (count?: number) => void;
  /** How many hostile cases the suite declared. */
  readonly caseCount: () => number;
  /** The captured log lines of the app so far. */
  readonly logLines: () => string[];
  /** GET on the app, without following redirects. */
  readonly get: (url: string, headers?: Record<string, string>) => Promise<RawResponse>;
  /** An error sent back to the client's redirect URI: never a code, `iss` and `state` set. */
  readonly expectRedirectError: (
    response: RawResponse,
    redirectUri: string,
    error: string,
    state?: string | null,
  ) => URL;
  /** Moves an authorization code's expiry into the past. */
  readonly expireCode: (code: string) => Promise<void>;
}

/**
 * Registers the suite's hooks (call it first in the top-level `describe`): boots an app with
 * no refresh grace window (reuse detection is asserted right after a rotation) and two served
 * resources (`/mcp` with `mcp:tools mcp:resources`, `/other` with `mcp:tools`), captures its
 * logs, registers the clients of {@link BatteryFixtures}; closes it all afterwards.
 */
export function useAttackBattery(): AttackBattery {
  const secrets = new SecretRegistry();
  let fixtures: BatteryFixtures | undefined;
  let logs: { logger: CapturingLogger; restore(): void } | undefined;
  let cases = 0;

  beforeAll(async () => {
    const t = await createSecurityApp({
      auth: () => ({
        tokens: { refreshReuseGraceSeconds: 0 },
        resources: [
          { path: '/mcp', scopes: ['mcp:tools', 'mcp:resources'] },
          { path: '/other', scopes: ['mcp:tools'] },
        ],
      }),
    });
    // Set before anything else can fail, so that afterAll closes the app.
    fixtures = { t } as BatteryFixtures;
    logs = captureLogs(t.app);
    fixtures = {
      t,
      publicClient: await register(t, secrets, 'none'),
      otherPublic: await register(t, secrets, 'none'),
      basic: await register(t, secrets, 'client_secret_basic'),
      post: await register(t, secrets, 'client_secret_post'),
      web: await register(t, secrets, 'none', {
        redirect_uris: [WEB_REDIRECT_URI],
        application_type: 'web',
      }),
      introspector: resourceServer(secrets),
    };
  });

  afterAll(async () => {
    logs?.restore();
    await fixtures?.t.close();
  });

  const current = (): BatteryFixtures => {
    if (!fixtures?.introspector) throw new Error('the attack battery has not started yet');
    return fixtures;
  };

  return {
    secrets,
    fixtures: current,
    hostile: (name, attack, expected = NO_CHANGE) => {
      cases++;
      it(name, async () => {
        const changes = await changesOf(current().t.db.dataSource, attack);
        expect(changes).toEqual(expected);
      });
    },
    countCases: (count = 1) => {
      cases += count;
    },
    caseCount: () => cases,
    logLines: () => logs?.logger.lines ?? [],
    get: (url, headers = {}) => {
      const { t } = current();
      return http(t.url, url.replace(t.url, ''), { headers });
    },
    expectRedirectError: (response, redirectUri, error, state = 'state-123') => {
      expect(response.status).toBe(302);
      const location = new URL(response.location ?? 'about:blank');
      expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('iss')).toBe(current().t.url);
      expect(location.searchParams.get('state')).toBe(state);
      expect(location.searchParams.get('code')).toBeNull();
      return location;
    },
    expireCode: async (code) => {
      await current().t.db.dataSource.query(
        `UPDATE mcp_auth_authorization_codes SET expires_at = now() - interval '1 second'
         WHERE code_hash = $1`,
        [hashSecret(code)],
      );
    },
  };
}

/**
 * The closing scans of a suite (call it last in the top-level `describe`, so they run after
 * every case): no `mcp_auth_` table holds a secret the suite handled in clear, the captured
 * log output holds none of them either, and the suite declared exactly `hostileCases` cases.
 */
export function scanForSecrets(battery: AttackBattery, hostileCases: number): void {
  describe('secrets at rest and in logs', () => {
    it('after the whole suite, no mcp_auth_ table holds a token, code, secret or CSRF token in clear', async () => {
      const { t, basic } = battery.fixtures();
      const { secrets } = battery;
      // One more complete flow, with a refresh, so every kind of secret exists right now;
      // then a reuse of the rotated refresh token, which the app logs (see the log scan).
      const tokens = await fullFlow(t, basic, secrets);
      recordTokens(secrets, (await refreshWith(t, basic, tokens.refresh_token!)).json);
      expectOAuthJson(await refreshWith(t, basic, tokens.refresh_token!), 400, 'invalid_grant');
      expect(
        secrets.kindsNotSeen([
          'access_token',
          'refresh_token',
          'code',
          'client_secret',
          'csrf_token',
          'browser_cookie',
          'interaction_id',
          'code_verifier',
        ]),
      ).toEqual([]);
      const dump = await dumpModuleTables(t.db.dataSource);
      expect(dump.length).toBeGreaterThan(1000);
      expect(secrets.foundIn(dump)).toEqual([]);
    });

    it('the log output of the whole suite contains none of those secrets', () => {
      const output = battery.logLines().join('\n');
      // The suite did make the app log (replays, reuse): the capture works.
      expect(output).toMatch(/replayed|reused/i);
      expect(battery.secrets.foundIn(output)).toEqual([]);
      expect(output).not.toContain('alice-password');
    });

    it(`ran ${hostileCases} distinct hostile cases`, () => {
      expect(battery.caseCount()).toBe(hostileCases);
    });
  });
}
