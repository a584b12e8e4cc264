import { Logger } from '@nestjs/common';
import { decodeProtectedHeader } from 'jose';
import { TestBrowser, parseForm } from '../support/browser';
import type { TestApp } from '../support/test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from '../support/test-database';
import { AccessTokenVerifier, SigningKeyService } from '@app/mcp-auth';
import { TcpProxy } from './support/tcp-proxy';
import {
  authenticate,
  createSecurityApp,
  authorizeUrl,
  expectOAuthJson,
  http,
  introspect,
  obtainCode,
  pkce,
  recordTokens,
  redeem,
  refreshWith,
  register,
  SecretRegistry,
  type Client,
  resourceServer,
} from './support/harness';

/** Verifies a token with an instance's resource server, as its BearerGuard would for `resource`. */
function verifyAt(app: TestApp, token: string, resource: string) {
  return app.app.get<symbol, AccessTokenVerifier>(AccessTokenVerifier).verify(token, { resource });
}

/**
 * Scale-out and restarts: two app instances on different ports share one database
 * and one issuer (as behind a load balancer); nothing that matters lives in one process.
 */
describe('Security: two instances, one database', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  /** The public origin: a TCP "load balancer" in front of A and B that the test steers. */
  let lb: TcpProxy;
  let front: { url: string };
  const secrets = new SecretRegistry();
  let issuer: string;
  let resource: string;
  let client: Client;
  let introspectorB: Client;

  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
    lb = new TcpProxy('127.0.0.1', 1);
    await lb.start();
    issuer = `http://127.0.0.1:${lb.port}`;
    front = { url: issuer };
    resource = `${issuer}/mcp`;
    // Reuse is presented right after a rotation below: no grace window.
    const options = () => ({ issuer, tokens: { refreshReuseGraceSeconds: 0 } });
    a = await createSecurityApp({ db, auth: options });
    b = await createSecurityApp({ db, auth: options });
    Logger.overrideLogger(['error']);
    await lb.retarget(a.port);
    client = await register(front, secrets, 'none');
    introspectorB = resourceServer(secrets);
  });
  afterAll(async () => {
    await lb?.close();
    await b?.close();
    await a?.close();
    await db?.close();
  });

  const verify = (app: TestApp, token: string) => verifyAt(app, token, resource);

  it('a client registered on A authorizes and redeems on B; the token verifies on both', async () => {
    await lb.retarget(b.port);
    try {
      const obtained = await obtainCode(front, client, secrets);
      const response = await redeem(front, client, obtained);
      expect(response.status).toBe(200);
      const tokens = recordTokens(secrets, response.json);
      for (const app of [a, b]) {
        const { claims } = await verify(app, tokens.access_token);
        expect(claims).toMatchObject({ iss: issuer, aud: resource, client_id: client.clientId });
      }
    } finally {
      await lb.retarget(a.port);
    }
  });

  it('a pending authorization started on A is finished on B (no process-local interaction state)', async () => {
    await lb.retarget(a.port);
    const browser = new TestBrowser(issuer);
    const step = await browser.navigate(
      authorizeUrl(front, client, { code_challenge: pkce().challenge }),
    );
    const form = parseForm(step.html ?? '')!;
    expect(form.fields).toContain('password');
    await lb.retarget(b.port);
    try {
      // B signs alice in (replacing the browser's binding cookie) and shows the consent page:
      // a public client is asked every time, although alice approved it above.
      const consent = await browser.navigate(new URL(form.action, step.url).toString(), {
        form: { csrf: form.csrf, username: 'alice', password: 'alice-password' },
      });
      const consentForm = parseForm(consent.html ?? '')!;
      expect(consentForm.fields).toContain('decision');
      // A takes the approval: the new binding and its CSRF key live in the database only.
      await lb.retarget(a.port);
      const after = await browser.navigate(new URL(consentForm.action, consent.url).toString(), {
        form: { csrf: consentForm.csrf, decision: 'approve' },
      });
      expect(new URL(after.location!).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } finally {
      await lb.retarget(a.port);
    }
  });

  it('a token issued by A refreshes on B, and A sees B’s rotation', async () => {
    const obtained = await obtainCode(front, client, secrets);
    const tokens = recordTokens(secrets, (await redeem(a, client, obtained)).json);
    const onB = await refreshWith(b, client, tokens.refresh_token!);
    expect(onB.status).toBe(200);
    const rotated = recordTokens(secrets, onB.json);
    // The old token is now rotated for A too: presenting it there is reuse.
    expectOAuthJson(await refreshWith(a, client, tokens.refresh_token!), 400, 'invalid_grant');
    expectOAuthJson(await refreshWith(b, client, rotated.refresh_token!), 400, 'invalid_grant');
  });

  it('a revocation on A is seen by B', async () => {
    const obtained = await obtainCode(front, client, secrets);
    const tokens = recordTokens(secrets, (await redeem(a, client, obtained)).json);
    expect(await introspect(b, introspectorB, tokens.access_token)).toMatchObject({ active: true });
    const revoked = await http(
      a.url,
      '/revoke',
      authenticate(client, { token: tokens.refresh_token! }),
    );
    expect(revoked.status).toBe(200);
    expect(await introspect(b, introspectorB, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(b, introspectorB, tokens.refresh_token!)).toEqual({ active: false });
    expectOAuthJson(await refreshWith(b, client, tokens.refresh_token!), 400, 'invalid_grant');
  });

  it('a key rotation on A is picked up by B', async () => {
    const before = recordTokens(
      secrets,
      (await redeem(a, client, await obtainCode(front, client, secrets))).json,
    );
    await a.app.get(SigningKeyService).rotate();
    const after = recordTokens(
      secrets,
      (await redeem(a, client, await obtainCode(front, client, secrets))).json,
    );
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const newKid = decodeProtectedHeader(after.access_token).kid;
    expect(newKid).not.toBe(oldKid);
    // B has never seen the new key: it reloads on the unknown kid.
    await expect(verify(b, after.access_token)).resolves.toMatchObject({ issuer });
    // The retired key still verifies the tokens it signed, on both instances.
    await expect(verify(b, before.access_token)).resolves.toMatchObject({ issuer });
    await expect(verify(a, before.access_token)).resolves.toBeDefined();
    // And B's introspection answers for it.
    expect(await introspect(b, introspectorB, after.access_token)).toMatchObject({ active: true });
  });

  it('a code issued on B and replayed on A revokes the grant everywhere', async () => {
    await lb.retarget(b.port);
    const obtained = await obtainCode(front, client, secrets);
    await lb.retarget(a.port);
    const tokens = recordTokens(secrets, (await redeem(b, client, obtained)).json);
    expectOAuthJson(await redeem(a, client, obtained), 400, 'invalid_grant');
    expect(await introspect(b, introspectorB, tokens.access_token)).toEqual({ active: false });
  });
});

describe('Security: restart', () => {
  let db: TestDatabase;
  let first: TestApp;
  const secrets = new SecretRegistry();

  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
    first = await createSecurityApp({ db });
    Logger.overrideLogger(['error']);
  });
  afterAll(() => db?.close());

  it('tokens, codes and consents from before a restart still work after it', async () => {
    const client = await register(first, secrets, 'none');
    // Consent is remembered only for clients that authenticate (RFC 8252 §8.6).
    const confidential = await register(first, secrets, 'client_secret_post');
    await obtainCode(first, confidential, secrets);
    const introspector = resourceServer(secrets);
    const tokens = recordTokens(
      secrets,
      (await redeem(first, client, await obtainCode(first, client, secrets))).json,
    );
    const pending = await obtainCode(first, client, secrets);
    const port = first.port;
    const oldKid = decodeProtectedHeader(tokens.access_token).kid;
    await first.close();

    const second = await createSecurityApp({ db, port });
    try {
      // Same issuer (same origin), keys reloaded from the database.
      await expect(
        verifyAt(second, tokens.access_token, `${second.url}/mcp`),
      ).resolves.toMatchObject({ claims: { client_id: client.clientId } });
      expect(await introspect(second, introspector, tokens.access_token)).toMatchObject({
        active: true,
      });
      // The code issued before the restart redeems after it.
      const redeemed = await redeem(second, client, pending);
      expect(redeemed.status).toBe(200);
      const fresh = recordTokens(secrets, redeemed.json);
      expect(decodeProtectedHeader(fresh.access_token).kid).toBe(oldKid);
      // The refresh token too.
      expect((await refreshWith(second, client, tokens.refresh_token!)).status).toBe(200);
      // The consent given before the restart is remembered: sign-in leads straight back.
      const browser = new TestBrowser(second.url);
      const login = await browser.navigate(
        authorizeUrl(second, confidential, { code_challenge: pkce().challenge }),
      );
      const form = parseForm(login.html ?? '')!;
      expect(form.fields).toContain('password');
      const after = await browser.navigate(new URL(form.action, login.url).toString(), {
        form: { csrf: form.csrf, username: 'alice', password: 'alice-password' },
      });
      expect(after.location).toBeDefined();
      expect(new URL(after.location!).searchParams.get('code')).toBeTruthy();
    } finally {
      await second.close();
    }
  });
});
