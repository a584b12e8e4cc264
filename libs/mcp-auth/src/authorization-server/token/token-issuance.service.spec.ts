import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import type { AccessTokenIssuer } from '../../tokens/access-token.issuer';
import { TokenIssuanceService } from './token-issuance.service';

const ISSUER = 'https://as.example.com';
const ADMIN = `${ISSUER}/admin`;

function service() {
  const issue = jest.fn(async () => ({ token: 'signed', expiresIn: 600 }));
  const config = new McpAuthConfig({
    issuer: ISSUER,
    resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
    scopes: { 'mcp:tools': 'Tools', 'ops:admin': 'Administer' },
    administration: { scope: 'ops:admin' },
  });
  const issuance = new TokenIssuanceService({ issue } as unknown as AccessTokenIssuer, config);
  return { issuance, issue };
}

const subject = (resource: string) => ({
  grantId: '00000000-0000-4000-8000-000000000003',
  clientId: 'ops',
  subject: 'ops',
  scopes: ['ops:admin'],
  resource,
});

describe('TokenIssuanceService and the administration audience', () => {
  it('signs a client credentials token for the administration API', async () => {
    const { issuance, issue } = service();
    const response = await issuance.respond(subject(ADMIN), undefined, {
      gty: 'client_credentials',
    });
    expect(response.access_token).toBe('signed');
    expect(issue).toHaveBeenCalledTimes(1);
  });

  it.each([[undefined], [{}], [{ gty: 'jwt-bearer' }]])(
    'refuses any other token for it (extra claims %j), signing nothing',
    async (extraClaims) => {
      const { issuance, issue } = service();
      const refused = issuance.respond(subject(ADMIN), 'refresh-value', extraClaims);
      await expect(refused).rejects.toBeInstanceOf(OAuthError);
      await expect(refused).rejects.toMatchObject({ error: 'invalid_target' });
      expect(issue).not.toHaveBeenCalled();
    },
  );

  it('leaves other resources alone', async () => {
    const { issuance } = service();
    await expect(issuance.respond(subject(`${ISSUER}/mcp`), undefined)).resolves.toMatchObject({
      token_type: 'Bearer',
    });
  });
});
