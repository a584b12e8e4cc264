import { Controller, Get, Injectable, Logger, Req, UseGuards } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import passport from 'passport';
import { Strategy as HttpBearerStrategy } from 'passport-http-bearer';
import request from 'supertest';
import {
  type McpAuthenticatedRequest,
  BearerGuard,
  BearerStrategy,
  RequiredScopes,
  AccessTokenIssuer,
} from '@app/mcp-auth';
import { createTestApp, type TestApp } from './support/test-app';

/** Known to the host when it writes its guards: it configures the name. */
const OUR_STRATEGY = 'mcp-bearer-passport-e2e';
const HOST_STRATEGY = 'host-api-token-e2e';

/** The host's own Passport strategy: a static service token, as hosts often have. */
@Injectable()
class HostTokenStrategy extends PassportStrategy(HttpBearerStrategy, HOST_STRATEGY) {
  validate(token: string): { id: string } | false {
    return token === 'host-service-token' ? { id: 'host-service' } : false;
  }
}

@Controller('mcp')
class PassportRoutesController {
  /** Through BearerGuard: Passport's `req.user`, plus the MCP request properties. */
  @Get('whoami')
  @UseGuards(BearerGuard)
  @RequiredScopes('mcp:tools')
  whoami(@Req() req: McpAuthenticatedRequest<Request>) {
    // Passport's `info`: the verified token.
    const authInfo: { subject?: string } | undefined = req.authInfo;
    return {
      user: req.user,
      authInfoSubject: authInfo?.subject,
      authClientId: req.auth.clientId,
      accessTokenSubject: req.authInfo.subject,
    };
  }

  /** The host composes our strategy with its own through @nestjs/passport. */
  @Get('composed')
  @UseGuards(AuthGuard([OUR_STRATEGY, HOST_STRATEGY]))
  composed(@Req() req: Request) {
    return { user: req.user };
  }

  /** Our strategy alone in the host's AuthGuard. */
  @Get('ours-only')
  @UseGuards(AuthGuard(OUR_STRATEGY))
  oursOnly(@Req() req: Request) {
    return { user: req.user };
  }
}

describe('BearerGuard through Passport', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      resourceServer: { strategyName: OUR_STRATEGY },
      module: { controllers: [PassportRoutesController], providers: [HostTokenStrategy] },
    });
    Logger.overrideLogger(['error']);
  });
  afterAll(async () => {
    await t?.close();
    passport.unuse(HOST_STRATEGY);
  });

  async function ourToken(scopes = ['mcp:tools', 'mcp:resources']): Promise<string> {
    const issued = await t.app.get(AccessTokenIssuer).issue({
      subject: 'user-alice',
      clientId: 'client-1',
      audience: `${t.url}/mcp`,
      scopes,
      grantId: randomUUID(),
    });
    return issued.token;
  }

  const get = (path: string, authorization?: string) => {
    const req = request(t.app.getHttpServer()).get(path);
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  it('registers the strategy under the configured name', () => {
    expect(t.app.get(BearerStrategy).name).toBe(OUR_STRATEGY);
  });

  it('sets req.user to the verified principal, and req.authInfo, req.auth, req.accessToken', async () => {
    const token = await ourToken();
    const response = await get('/mcp/whoami', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      user: {
        subject: 'user-alice',
        clientId: 'client-1',
        scopes: ['mcp:tools', 'mcp:resources'],
        scope: 'mcp:tools mcp:resources',
        machine: false,
        claims: expect.objectContaining({
          iss: t.url,
          sub: 'user-alice',
          aud: `${t.url}/mcp`,
          client_id: 'client-1',
        }),
      },
      authInfoSubject: 'user-alice',
      authClientId: 'client-1',
      accessTokenSubject: 'user-alice',
    });
    // The principal is safe to log: it does not carry the token.
    expect(JSON.stringify(response.body.user)).not.toContain(token);
  });

  it('still answers its own challenges through Passport (401, 403)', async () => {
    const missing = await get('/mcp/whoami');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer resource_metadata="/);
    const narrow = await get('/mcp/whoami', `Bearer ${await ourToken(['mcp:resources'])}`);
    expect(narrow.status).toBe(403);
    expect(narrow.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
  });

  describe("a host's AuthGuard([ours, its own])", () => {
    it('succeeds with our principal for our token', async () => {
      const response = await get('/mcp/composed', `Bearer ${await ourToken()}`);
      expect(response.status).toBe(200);
      expect(response.body.user).toMatchObject({ subject: 'user-alice', clientId: 'client-1' });
    });

    it("falls through to the host's strategy when ours refuses the request", async () => {
      const response = await get('/mcp/composed', 'Bearer host-service-token');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ user: { id: 'host-service' } });
    });

    it('is refused when neither strategy accepts', async () => {
      expect((await get('/mcp/composed', 'Bearer neither')).status).toBe(401);
      expect((await get('/mcp/composed')).status).toBe(401);
    });

    it('our strategy alone still takes tokens only from the Authorization header', async () => {
      const token = await ourToken();
      expect((await get('/mcp/ours-only', `Bearer ${token}`)).status).toBe(200);
      expect((await get(`/mcp/ours-only?access_token=${token}`)).status).not.toBe(200);
    });
  });
});
