import { Logger } from '@nestjs/common';
import { AccessTokenIssuer } from '../../tokens/access-token.issuer';
import { AccessTokenValidator } from '../../tokens/access-token.validator';
import { InMemorySigningKeyStore } from '../../../../../test/support/in-memory-signing-key-store';
import { SigningKeyService } from '../../tokens/signing-key.service';
import { LocalIssuerTokenVerifier } from './local-issuer-token.verifier';

const ISSUER = 'https://mcp.example.com';
const MCP = `${ISSUER}/mcp`;
const OTHER = `${ISSUER}/other`;

describe('LocalIssuerTokenVerifier', () => {
  let issuer: AccessTokenIssuer;
  let revoked: { jtis: Set<string>; grants: Set<string> };
  let verifier: LocalIssuerTokenVerifier;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    const keys = new SigningKeyService(new InMemorySigningKeyStore(), {
      algorithm: 'ES256',
      verifyOverlap: 600,
    });
    await keys.init();
    issuer = new AccessTokenIssuer(keys, { issuer: ISSUER, accessTokenTtl: 600 });
    revoked = { jtis: new Set(), grants: new Set() };
    verifier = new LocalIssuerTokenVerifier(
      new AccessTokenValidator(keys, { issuer: ISSUER, audiences: [MCP, OTHER] }),
      {
        isRevoked: (jti, gid) =>
          (jti !== undefined && revoked.jtis.has(jti)) ||
          (gid !== undefined && revoked.grants.has(gid)),
      },
    );
  });

  const issue = (audience = MCP) =>
    issuer.issue({ subject: 'u', clientId: 'c', audience, scopes: ['mcp:tools'], grantId: 'g1' });

  it('returns the normalized token without the derived scopes claim', async () => {
    const { token, jti } = await issue();
    const verified = await verifier.verify(token, { resource: MCP });
    expect(verified).toMatchObject({
      token,
      issuer: ISSUER,
      clientId: 'c',
      subject: 'u',
      scopes: ['mcp:tools'],
      audience: [MCP],
      resource: MCP,
      jti,
    });
    expect(verified.claims).not.toHaveProperty('scopes');
    expect(verified.claims).toMatchObject({ gid: 'g1', scope: 'mcp:tools' });
  });

  it('RS-7/RS-10: refuses a token for another of our resources', async () => {
    const { token } = await issue(OTHER);
    await expect(verifier.verify(token, { resource: MCP })).rejects.toThrow(
      'audience not accepted',
    );
    await expect(verifier.verify(token, { resource: OTHER })).resolves.toBeDefined();
  });

  it('refuses a token whose jti or grant is on the deny-list', async () => {
    const first = await issue();
    revoked.jtis.add(first.jti);
    await expect(verifier.verify(first.token, { resource: MCP })).rejects.toThrow('token revoked');
    const second = await issue();
    await expect(verifier.verify(second.token, { resource: MCP })).resolves.toBeDefined();
    revoked.grants.add('g1');
    await expect(verifier.verify(second.token, { resource: MCP })).rejects.toThrow('token revoked');
  });
  it('answers a repeated token synchronously with the same frozen result, deny-list included', async () => {
    const { token, jti } = await issue();
    expect(verifier.verifyCached(token, { resource: MCP })).toBeUndefined();
    const verified = await verifier.verify(token, { resource: MCP });
    expect(Object.isFrozen(verified)).toBe(true);
    expect(verifier.verifyCached(token, { resource: MCP })).toBe(verified);
    expect(await verifier.verify(token, { resource: MCP })).toBe(verified);
    // A remembered token for another resource is still refused.
    expect(() => verifier.verifyCached(token, { resource: OTHER })).toThrow(
      'audience not accepted',
    );
    revoked.jtis.add(jti);
    expect(() => verifier.verifyCached(token, { resource: MCP })).toThrow('token revoked');
    await expect(verifier.verify(token, { resource: MCP })).rejects.toThrow('token revoked');
  });
});
