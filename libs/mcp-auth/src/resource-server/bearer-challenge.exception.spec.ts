import { BearerChallengeException, type HeaderTarget } from './bearer-challenge.exception';
import { ResourceServerConfig } from './resource-server.config';

const config = ResourceServerConfig.fromOptions({
  resources: [{ uri: 'https://api.example.com/mcp', scopes: ['mcp:tools', 'mcp:read'] }],
  authorizationServers: ['https://idp.example.com'],
  verifier: { type: 'jwks' },
});
const resource = config.resources[0];
const PRM = 'https://api.example.com/.well-known/oauth-protected-resource/mcp';

describe('BearerChallengeException', () => {
  it('RS-1: missing credentials → 401, {} body, resource scopes when the route names none', () => {
    const challenge = BearerChallengeException.missingCredentials({ resource, requiredScopes: [] });
    expect(challenge.getStatus()).toBe(401);
    expect(challenge.getResponse()).toEqual({});
    expect(challenge.headers).toEqual({
      'WWW-Authenticate': `Bearer resource_metadata="${PRM}", scope="mcp:tools mcp:read"`,
      'Cache-Control': 'no-store',
    });
  });

  it('RS-1/RS-8/RS-9: the body carries the same error as the header', () => {
    const scope = { resource, requiredScopes: ['mcp:tools'] };
    for (const [challenge, status, error] of [
      [BearerChallengeException.invalidRequest(scope, 'bad'), 400, 'invalid_request'],
      [BearerChallengeException.invalidToken(scope, 'token expired'), 401, 'invalid_token'],
      [BearerChallengeException.insufficientScope(scope), 403, 'insufficient_scope'],
    ] as const) {
      expect(challenge.getStatus()).toBe(status);
      const body = challenge.getResponse();
      expect(body.error).toBe(error);
      expect(challenge.headers['WWW-Authenticate']).toBe(
        `Bearer error="${error}", error_description="${body.error_description}", resource_metadata="${PRM}", scope="mcp:tools"`,
      );
    }
  });

  it('keeps descriptions inside the RFC 6749 character set', () => {
    const challenge = BearerChallengeException.invalidToken(
      { resource, requiredScopes: [] },
      'say "hi"\\\r\n',
    );
    expect(challenge.getResponse().error_description).toBe("say 'hi'/??");
    expect(challenge.headers['WWW-Authenticate']).toContain(`error_description="say 'hi'/??"`);
  });

  it('writes its headers only on a response that has not started, exposing WWW-Authenticate', () => {
    const challenge = BearerChallengeException.insufficientScope({ resource, requiredScopes: [] });
    const fake = (headersSent: boolean) => {
      const written: Record<string, string> = {};
      const response = {
        headersSent,
        setHeader: (name: string, value: string) => (written[name] = value),
        getHeader: (name: string) => written[name],
      } as unknown as HeaderTarget;
      return { response, written };
    };
    const fresh = fake(false);
    challenge.applyTo(fresh.response);
    expect(Object.keys(fresh.written)).toEqual([
      'WWW-Authenticate',
      'Cache-Control',
      'Access-Control-Expose-Headers',
    ]);
    const late = fake(true);
    challenge.applyTo(late.response);
    expect(late.written).toEqual({});
    expect(() => challenge.applyTo(undefined)).not.toThrow();
  });
});
