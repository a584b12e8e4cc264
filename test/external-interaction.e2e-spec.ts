import { BadRequestException, Controller, Get, Post, Query, Redirect } from '@nestjs/common';
import { InteractionNotFoundError, McpAuthorizationService, ClientStore } from '@app/mcp-auth';
import { computeS256Challenge } from './support/pkce';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * A host's own login page: it signs the user in its own way and finishes through the service.
 * Written with Nest's own return values and `@Redirect()`, so it runs on either adapter.
 */
@Controller('account')
class HostLoginController {
  constructor(private readonly authorization: McpAuthorizationService) {}

  @Get('login')
  async show(@Query('interaction') interaction: string) {
    const pending = await this.authorization.getInteraction(interaction);
    if (!pending) throw new BadRequestException('expired');
    return {
      client: pending.clientName,
      scopes: pending.scopes.map((s) => s.name),
      redirectUri: pending.redirectUri,
    };
  }

  @Post('approve')
  @Redirect(undefined, 303)
  async approve(
    @Query('interaction') interaction: string,
    @Query('scope') scope: string | undefined,
  ): Promise<{ url: string }> {
    try {
      const { redirectUrl } = await this.authorization.completeAuthorization(interaction, {
        subject: 'host-user-42',
        scopes: scope ? scope.split(' ') : undefined,
      });
      return { url: redirectUrl };
    } catch (error) {
      if (!(error instanceof InteractionNotFoundError)) throw error;
      throw new BadRequestException('expired');
    }
  }

  @Post('deny')
  @Redirect(undefined, 303)
  async deny(@Query('interaction') interaction: string): Promise<{ url: string }> {
    const { redirectUrl } = await this.authorization.denyAuthorization(interaction);
    return { url: redirectUrl };
  }
}

const VERIFIER = 'v'.repeat(64);

describe('external interaction: the host’s own login page (AS-17)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      // No ResourceOwnerAuthenticator: the host authenticates users itself.
      auth: () => ({
        interaction: { type: 'external', loginUrl: '/account/login' },
        extraProviders: [],
      }),
      module: { controllers: [HostLoginController] },
    });
    await t.app.get<ClientStore>(ClientStore).create({
      clientId: 'host-client',
      clientSecretHash: null,
      clientSecretExpiresAt: null,
      redirectUris: ['http://127.0.0.1/cb'],
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      applicationType: 'native',
      clientName: 'Host Client',
      scope: null,
      metadata: {},
      source: 'dynamic',
    });
  });
  afterAll(() => t.close());

  async function startInteraction(scope = 'mcp:tools mcp:resources'): Promise<string> {
    const url = new URL(`${t.url}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'host-client',
      redirect_uri: 'http://127.0.0.1:4000/cb',
      code_challenge: computeS256Challenge(VERIFIER),
      code_challenge_method: 'S256',
      scope,
      state: 'xyz',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(`${t.url}/account/login`);
    return location.searchParams.get('interaction') as string;
  }

  it('hands the interaction id to the host page, which describes it and completes it with narrowed scopes', async () => {
    const interaction = await startInteraction();
    const page = await fetch(`${t.url}/account/login?interaction=${interaction}`);
    expect(await page.json()).toEqual({
      client: 'Host Client',
      scopes: ['mcp:tools', 'mcp:resources'],
      redirectUri: 'http://127.0.0.1:4000/cb',
    });

    const done = await fetch(
      `${t.url}/account/approve?interaction=${interaction}&scope=mcp:tools`,
      { method: 'POST', redirect: 'manual' },
    );
    expect(done.status).toBe(303);
    const redirect = new URL(done.headers.get('location') as string);
    expect(redirect.searchParams.get('state')).toBe('xyz');
    expect(redirect.searchParams.get('iss')).toBe(t.url);

    const token = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: redirect.searchParams.get('code') as string,
        redirect_uri: 'http://127.0.0.1:4000/cb',
        client_id: 'host-client',
        code_verifier: VERIFIER,
      }),
    });
    expect(token.status).toBe(200);
    const body = (await token.json()) as { scope: string; access_token: string };
    expect(body.scope).toBe('mcp:tools');
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    expect(claims.sub).toBe('host-user-42');

    // Single use: the same interaction cannot be completed twice.
    const again = await fetch(`${t.url}/account/approve?interaction=${interaction}`, {
      method: 'POST',
      redirect: 'manual',
    });
    expect(again.status).toBe(400);
  });

  it('refuses to widen the scopes past the request', async () => {
    const interaction = await startInteraction('mcp:tools');
    await expect(
      t.app
        .get(McpAuthorizationService)
        .completeAuthorization(interaction, { subject: 'u', scopes: ['mcp:tools', 'mcp:admin'] }),
    ).rejects.toThrow(/among those requested/);
  });

  it('denies with access_denied, state and iss', async () => {
    const interaction = await startInteraction();
    const done = await fetch(`${t.url}/account/deny?interaction=${interaction}`, {
      method: 'POST',
      redirect: 'manual',
    });
    const redirect = new URL(done.headers.get('location') as string);
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('xyz');
    expect(redirect.searchParams.get('iss')).toBe(t.url);
  });

  it('describes unknown, malformed or finished interactions as null', async () => {
    const service = t.app.get(McpAuthorizationService);
    expect(await service.getInteraction('nope')).toBeNull();
    expect(await service.getInteraction('x'.repeat(43))).toBeNull();
    await expect(service.completeAuthorization('x'.repeat(43), { subject: 'u' })).rejects.toThrow(
      InteractionNotFoundError,
    );
  });

  it('does not need a ResourceOwnerAuthenticator and serves no built-in pages', async () => {
    const interaction = await startInteraction();
    const builtIn = await fetch(`${t.url}/interaction/${interaction}`);
    expect(builtIn.status).toBe(404);
  });
});
